/**
 * Who hears what (docs/NOTIFICATIONS.md has the same table): the event types that make an in-app
 * notification and an email, and their words. Recipients are the contract's two parties except
 * the user who acted (after a system or staff action, both parties), and for a dispute opened,
 * the dispute team too (every staff user). Webhooks are not filtered here: an endpoint receives
 * every event of its owner's contracts (a staff user's endpoint, every event).
 */
import { currencyExponent } from "../domain/currencies.js";
import type { EventType } from "../domain/events.js";

export type Role = "client" | "freelancer" | "staff";

/** What a template is given about one event and one recipient. */
export interface NoticeContext {
  readonly type: EventType;
  readonly data: Readonly<Record<string, unknown>>;
  readonly contract: { readonly id: string; readonly title: string; readonly currency: string };
  /** The milestone the event names, when it names one. */
  readonly milestone: { readonly title: string; readonly fundedAmount: number } | null;
  /** "Carol", "The dispute team" or "Escrow" (the timed rules). */
  readonly actorName: string;
  readonly role: Role;
  readonly recipientName: string;
}

export interface Notice {
  readonly subject: string;
  /** One sentence: the in-app message and the email's first line. */
  readonly message: string;
  /** What the recipient can do next. */
  readonly nextStep: string;
}

/** An amount in minor units, written in its currency: 1234567 USD -> "$12,345.67". */
/** Intl.NumberFormat is costly to build (tens of microseconds); one per locale and currency. */
const formats = new Map<string, Intl.NumberFormat>();

export function formatAmount(minor: unknown, currency: string, locale = "en-US"): string {
  const exponent = currencyExponent(currency);
  const value = typeof minor === "number" ? minor : Number(minor ?? 0);
  const key = `${locale}|${currency}`;
  let format = formats.get(key);
  if (format === undefined) {
    format = new Intl.NumberFormat(locale, {
      style: "currency",
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    formats.set(key, format);
  }
  return format.format(value / 10 ** exponent);
}

/** A text field of an event's data ("" when absent). */
export function text(value: unknown): string {
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

/** "2031-06-30T12:00:00.000Z" -> "30 Jun 2031, 12:00 UTC"; a date stays a date. */
export function formatTime(value: unknown): string {
  if (typeof value !== "string") return text(value);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return new Date(`${value}T00:00:00Z`).toLocaleDateString("en-GB", {
      timeZone: "UTC",
      dateStyle: "medium",
    });
  }
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) return value;
  return `${time.toLocaleString("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" })} UTC`;
}

type Template = (c: NoticeContext, money: (minor: unknown) => string) => Notice;

const days = (n: unknown) => (n === 1 ? "1 day" : `${String(n)} days`);

/** The notified event types and their words. Types not listed notify nobody (webhooks only). */
export const NOTICES: Partial<Record<EventType, Template>> = {
  "contract.offered": (c) => ({
    subject: `New offer: ${c.contract.title}`,
    message: `${c.actorName} sent you an offer "${c.contract.title}" with ${String(c.data.milestoneCount)} milestone(s); the first is funded in escrow.`,
    nextStep: "Review the offer, then accept or decline it.",
  }),
  "contract.accepted": (c) => ({
    subject: `Offer accepted: ${c.contract.title}`,
    message: `${c.actorName} accepted your offer "${c.contract.title}"; the contract is active.`,
    nextStep: "The freelancer can start on the funded milestone; you review each submission.",
  }),
  "contract.declined": (c) => ({
    subject: `Offer declined: ${c.contract.title}`,
    message: `${c.actorName} declined your offer "${c.contract.title}"; its escrow is refunded to your payment method.`,
    nextStep: "Nothing to do; you may send a new offer.",
  }),
  "contract.withdrawn": (c) => ({
    subject: `Offer withdrawn: ${c.contract.title}`,
    message: `${c.actorName} withdrew the offer "${c.contract.title}".`,
    nextStep: "Nothing to do.",
  }),
  "contract.ended": (c) => ({
    subject: `Contract ended: ${c.contract.title}`,
    message: `${c.actorName} ended the contract "${c.contract.title}".`,
    nextStep:
      c.role === "client"
        ? "Release any money left in escrow, or request a refund of it."
        : "No new work can be submitted; money already in escrow is released or refunded by the rules.",
  }),
  "milestone.funded": (c, money) => ({
    subject: `Milestone funded: ${c.milestone?.title ?? "milestone"} (${c.contract.title})`,
    message: `"${c.milestone?.title ?? "A milestone"}" of "${c.contract.title}" is funded: ${money(c.data.amount)} is in escrow.`,
    nextStep:
      c.role === "freelancer"
        ? "Start the work and submit it when it is ready."
        : "The freelancer can now work on it and submit it.",
  }),
  "milestone.submitted": (c) => ({
    subject: `Work submitted: ${c.milestone?.title ?? "milestone"} (${c.contract.title})`,
    message: `${c.actorName} submitted work for "${c.milestone?.title ?? "a milestone"}" of "${c.contract.title}".`,
    nextStep: `Review it: approve it or request changes by ${formatTime(c.data.autoApproveAt)}; after that it is approved and paid automatically.`,
  }),
  "milestone.changes_requested": (c) => ({
    subject: `Changes requested: ${c.milestone?.title ?? "milestone"} (${c.contract.title})`,
    message: `${c.actorName} requested changes to "${c.milestone?.title ?? "a milestone"}": ${text(c.data.message)}`,
    nextStep: "Make the changes and submit the work again.",
  }),
  "milestone.approved": (c, money) => ({
    subject: `Payment released: ${money(c.data.releasedAmount)} (${c.contract.title})`,
    message: `${c.actorName} approved "${c.milestone?.title ?? "a milestone"}" and released ${money(c.data.releasedAmount)}.`,
    nextStep:
      c.role === "freelancer"
        ? "The money is in your earnings balance."
        : "Fund the next milestone when you are ready.",
  }),
  "milestone.auto_approved": (c, money) => ({
    subject: `Payment released automatically: ${money(c.data.releasedAmount)} (${c.contract.title})`,
    message: `"${c.milestone?.title ?? "A milestone"}" was approved automatically after the review window ended; ${money(c.data.releasedAmount)} was released.`,
    nextStep:
      c.role === "freelancer"
        ? "The money is in your earnings balance."
        : "Fund the next milestone when you are ready.",
  }),
  "milestone.auto_approval_reminder": (c, money) => ({
    subject: `Reminder: automatic approval in ${days(c.data.daysBefore)} (${c.contract.title})`,
    message: `"${c.milestone?.title ?? "A milestone"}" will be approved automatically on ${formatTime(c.data.autoApproveAt)} and ${money(c.milestone?.fundedAmount ?? 0)} released, unless the client answers first.`,
    nextStep:
      c.role === "client"
        ? "Approve the work or request changes before then."
        : "Nothing to do; the payment is released then unless the client answers.",
  }),
  "refund_request.created": (c, money) => ({
    subject: `Refund requested: ${money(c.data.amount)} (${c.contract.title})`,
    message: `${c.actorName} requested a refund of ${money(c.data.amount)} from the escrow of "${c.contract.title}".`,
    nextStep: `Approve or dispute it by ${formatTime(c.data.respondBy)}; without an answer it is approved automatically.`,
  }),
  "refund_request.approved": (c, money) => ({
    subject: `Refund approved: ${money(c.data.amount)} (${c.contract.title})`,
    message: `${c.actorName} approved the refund of ${money(c.data.amount)}; it goes back to the client's payment method.`,
    nextStep: "Nothing to do.",
  }),
  "refund_request.auto_approved": (c, money) => ({
    subject: `Refund approved automatically: ${money(c.data.amount)} (${c.contract.title})`,
    message: `The refund of ${money(c.data.amount)} was approved automatically: no answer came within the response window.`,
    nextStep: "Nothing to do; the money goes back to the client's payment method.",
  }),
  "refund_request.cancelled": (c) => ({
    subject: `Refund request cancelled (${c.contract.title})`,
    message: `${c.actorName} cancelled the refund request on "${c.contract.title}"; the money stays in escrow.`,
    nextStep: "Nothing to do.",
  }),
  "refund_request.reminder": (c) => ({
    subject: `Reminder: refund approved automatically in ${days(c.data.daysBefore)} (${c.contract.title})`,
    message: `The refund request on "${c.contract.title}" will be approved automatically on ${formatTime(c.data.respondBy)} unless the freelancer answers.`,
    nextStep:
      c.role === "freelancer"
        ? "Approve or dispute the refund before then."
        : "Nothing to do; the refund happens then unless the freelancer answers.",
  }),
  "refund_request.disputed": (c, money) => ({
    subject: `Dispute opened: ${money(c.data.amount)} (${c.contract.title})`,
    message: `${c.actorName} disputed the refund of ${money(c.data.amount)} on "${c.contract.title}": ${text(c.data.reason)}`,
    nextStep:
      c.role === "staff"
        ? "Decide how the disputed amount is split, with a reason both parties see, in the dispute console."
        : "The dispute team will decide how the money is split; both parties see the decision.",
  }),
  "dispute.resolved": (c, money) => ({
    subject: `Dispute resolved (${c.contract.title})`,
    message: `The dispute on "${c.contract.title}" was resolved: ${money(c.data.refundAmount)} refunded to the client, ${money(c.data.releaseAmount)} released to the freelancer. Reason: ${text(c.data.reason)}`,
    nextStep: "Nothing to do; the money has moved.",
  }),
  "due_date_change.proposed": (c) => ({
    subject: `New due date proposed: ${c.milestone?.title ?? "milestone"} (${c.contract.title})`,
    message: `${c.actorName} proposed ${formatTime(c.data.dueDate)} as the new due date of "${c.milestone?.title ?? "a milestone"}".`,
    nextStep: "Accept or decline the proposal.",
  }),
  "due_date_change.accepted": (c) => ({
    subject: `Due date accepted: ${c.milestone?.title ?? "milestone"} (${c.contract.title})`,
    message: `${c.actorName} accepted ${formatTime(c.data.dueDate)} as the new due date of "${c.milestone?.title ?? "a milestone"}".`,
    nextStep: "Nothing to do; the milestone has its new date.",
  }),
  "due_date_change.declined": (c) => ({
    subject: `Due date declined: ${c.milestone?.title ?? "milestone"} (${c.contract.title})`,
    message: `${c.actorName} declined ${formatTime(c.data.dueDate)} as the new due date of "${c.milestone?.title ?? "a milestone"}".`,
    nextStep: "The due date stays as it was; you may propose another.",
  }),
};

export function isNotified(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(NOTICES, type);
}

/** The words of one notification, or null when this event type notifies nobody. */
export function noticeFor(context: NoticeContext): Notice | null {
  const template = NOTICES[context.type];
  if (!template) return null;
  return template(context, (minor) => formatAmount(minor, context.contract.currency));
}

/**
 * Who is notified: both parties except the user who acted (a system or staff actor is neither
 * party, so both hear).
 */
export function recipientsOf(
  parties: { readonly clientId: string; readonly freelancerId: string },
  actorUserId: string | null,
): { userId: string; role: Role }[] {
  return [
    { userId: parties.clientId, role: "client" as const },
    { userId: parties.freelancerId, role: "freelancer" as const },
  ].filter((r) => r.userId !== actorUserId);
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );

export interface Email {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** The plain-text and HTML email of a notice, with a link to the web app (`linkText`). */
export function renderEmail(
  notice: Notice,
  to: { email: string; name: string },
  link: string,
  linkText = "Open the contract",
): Email {
  const text = [
    `Hello ${to.name},`,
    "",
    notice.message,
    "",
    `Next step: ${notice.nextStep}`,
    "",
    `${linkText}: ${link}`,
    "",
    "-- Escrow for fixed-price work",
  ].join("\n");
  const html = [
    "<!doctype html>",
    '<html><body style="font-family: sans-serif; line-height: 1.5">',
    `<p>Hello ${escapeHtml(to.name)},</p>`,
    `<p>${escapeHtml(notice.message)}</p>`,
    `<p><strong>Next step:</strong> ${escapeHtml(notice.nextStep)}</p>`,
    `<p><a href="${escapeHtml(link)}">${escapeHtml(linkText)}</a></p>`,
    '<p style="color: #666">Escrow for fixed-price work</p>',
    "</body></html>",
  ].join("\n");
  return { to: to.email, subject: `[Escrow] ${notice.subject}`, text, html };
}
