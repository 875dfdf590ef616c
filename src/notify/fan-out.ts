/**
 * What one event fans out to: in-app notifications and emails for the parties it concerns (the
 * table in catalog.ts) and, for a dispute opened, the dispute team, and one webhook call per
 * endpoint subscribed to it.
 */
import { STAFF_EVENTS, type EventType } from "../domain/events.js";
import type { FanOut, FanOutInput } from "../storage/notifications.js";
import { noticeFor, recipientsOf, renderEmail, type Role } from "./catalog.js";

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
    const recipients: { userId: string; role: Role }[] = recipientsOf(contract, actorUserId);
    if (STAFF_EVENTS.has(event.type)) {
      // The dispute team, but not twice for a staff user who is a party, nor the actor.
      const heard = new Set([contract.clientId, contract.freelancerId, actorUserId]);
      for (const userId of input.staff) {
        if (!heard.has(userId)) recipients.push({ userId, role: "staff" });
      }
    }
    const disputeId = typeof event.data.disputeId === "string" ? event.data.disputeId : null;
    for (const recipient of recipients) {
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
      const email =
        recipient.role === "staff" && disputeId !== null
          ? renderEmail(
              notice,
              user,
              `${publicUrl}/staff/disputes/${encodeURIComponent(disputeId)}`,
              "Open the dispute",
            )
          : renderEmail(notice, user, `${publicUrl}/contracts/${encodeURIComponent(contract.id)}`);
      emails.push({ userId: recipient.userId, payload: JSON.stringify(email) });
    }
  }
  const body = webhookBody(input);
  const webhooks = input.endpoints
    .filter((e) => e.events === null || e.events.includes(event.type))
    .map((e) => ({ endpointId: e.id, payload: body }));
  return { notifications, emails, webhooks };
}
