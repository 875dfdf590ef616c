/**
 * Reminders before each automatic action (R14, R18): 3 days and 1 day before a submission is
 * approved automatically or a refund request is approved for want of an answer, so nobody is
 * surprised by money moving. A reminder is an event in the contract's history; notifications
 * and webhooks carry it further.
 */
import { makePlan, type ContractAggregate, type Plan } from "./aggregate.js";
import { fail, ok, type Result } from "./result.js";
import { SYSTEM, type Instant } from "./types.js";

/** Days before the deadline, largest first. */
export const REMINDER_DAYS_BEFORE = [3, 1] as const;

export interface ReminderSubject {
  readonly kind: "milestone" | "refund_request";
  readonly id: string;
  /** The deadline the reminder announces: `autoApproveAt` or `respondBy`. */
  readonly deadline: Instant;
  readonly daysBefore: number;
}

export interface SentReminder extends ReminderSubject {
  readonly sentAt: Instant;
}

/** The reminder is still true: the deadline it announces is still the one that will act. */
function stillPending(agg: ContractAggregate, subject: ReminderSubject): boolean {
  if (subject.kind === "refund_request") {
    const open = agg.openRefundRequest;
    return (
      open?.id === subject.id && open.status === "pending" && open.respondBy === subject.deadline
    );
  }
  const milestone = agg.milestones.find((m) => m.id === subject.id);
  return (
    agg.openRefundRequest === null &&
    milestone?.status === "submitted" &&
    milestone.autoApproveAt === subject.deadline
  );
}

export function decideReminder(
  agg: ContractAggregate,
  subject: ReminderSubject,
  now: Instant,
): Result<Plan> {
  if (!stillPending(agg, subject) || now >= subject.deadline) {
    return fail(
      "invalid_state",
      "the automatic action this reminder announces is no longer pending",
    );
  }
  const at = new Date(subject.deadline).toISOString();
  const event =
    subject.kind === "milestone"
      ? {
          type: "milestone.auto_approval_reminder" as const,
          data: { milestoneId: subject.id, autoApproveAt: at, daysBefore: subject.daysBefore },
        }
      : {
          type: "refund_request.reminder" as const,
          data: { refundRequestId: subject.id, respondBy: at, daysBefore: subject.daysBefore },
        };
  return ok(makePlan(agg, SYSTEM, { reminders: [{ ...subject, sentAt: now }], events: [event] }));
}
