/**
 * What one event fans out to: in-app notifications and emails for the parties it concerns (the
 * table in catalog.ts), and one webhook call per endpoint subscribed to it.
 */
import type { EventType } from "../domain/events.js";
import type { FanOut, FanOutInput } from "../storage/notifications.js";
import { noticeFor, recipientsOf, renderEmail } from "./catalog.js";

export function webhookBody(input: FanOutInput): string {
  const { event } = input;
  return JSON.stringify({
    id: event.id,
    type: event.type,
    createdAt: new Date(event.createdAt).toISOString(),
    contractId: event.contractId,
    data: event.data,
  });
}

function actorName(input: FanOutInput): string {
  const { event, users } = input;
  if (event.actorKind === "system") return "Escrow";
  if (event.actorKind === "staff") return "The dispute team";
  return (event.actorUserId && users.get(event.actorUserId)?.name) || "The other party";
}

export function planFanOut(input: FanOutInput, publicUrl: string): FanOut {
  const { event, contract } = input;
  const notifications: { userId: string; message: string }[] = [];
  const emails: { userId: string; payload: string }[] = [];
  // The first milestone is funded with the offer: the offer's notice says so already.
  if (!input.partOfOffer) {
    const actorUserId = event.actorKind === "system" ? null : event.actorUserId;
    for (const recipient of recipientsOf(contract, actorUserId)) {
      const user = input.users.get(recipient.userId);
      if (!user) continue;
      const notice = noticeFor({
        type: event.type as EventType,
        data: event.data,
        contract,
        milestone: input.milestone,
        actorName: actorName(input),
        role: recipient.role,
        recipientName: user.name,
      });
      if (!notice) continue;
      notifications.push({ userId: recipient.userId, message: notice.message });
      const link = `${publicUrl}/contracts/${encodeURIComponent(contract.id)}`;
      emails.push({
        userId: recipient.userId,
        payload: JSON.stringify(renderEmail(notice, user, link)),
      });
    }
  }
  const body = webhookBody(input);
  const webhooks = input.endpoints
    .filter((e) => e.events === null || e.events.includes(event.type))
    .map((e) => ({ endpointId: e.id, payload: body }));
  return { notifications, emails, webhooks };
}
