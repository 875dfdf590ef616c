import type { Contract, ContractEvent } from "../../api/types";
import { formatCalendarDate } from "../../lib/dates";
import { formatMoney } from "../../lib/money";

const num = (value: unknown) => (typeof value === "number" ? value : 0);
const str = (value: unknown) => (typeof value === "string" ? value : "");

/** Money that has left escrow, read from the history. */
export function escrowTotals(events: ContractEvent[], escrowBalance: number) {
  let deposited = 0;
  let released = 0;
  for (const e of events) {
    if (e.type === "milestone.funded") deposited += num(e.data.charged);
    if (e.type === "milestone.approved") {
      deposited += num(e.data.extraCharged);
      released += num(e.data.releasedAmount);
    }
    if (e.type === "milestone.auto_approved") released += num(e.data.releasedAmount);
    if (e.type === "dispute.resolved") released += num(e.data.releaseAmount);
  }
  return { deposited, released, refunded: Math.max(0, deposited - released - escrowBalance) };
}

export interface PendingDueDateChange {
  id: string;
  milestoneId: string;
  dueDate: string;
  proposedBy: string | undefined;
}

/** Due date proposals nobody has answered yet (R16). */
export function pendingDueDateChanges(events: ContractEvent[]): PendingDueDateChange[] {
  const open = new Map<string, PendingDueDateChange>();
  for (const e of events) {
    const id = str(e.data.dueDateChangeId);
    if (e.type === "due_date_change.proposed") {
      open.set(id, {
        id,
        milestoneId: str(e.data.milestoneId),
        dueDate: str(e.data.dueDate),
        proposedBy: e.actor.userId,
      });
    }
    if (e.type === "due_date_change.accepted" || e.type === "due_date_change.declined") {
      open.delete(id);
    }
  }
  return [...open.values()];
}

/** Who did it, in words. */
export function actorName(event: ContractEvent, contract: Contract): string {
  if (event.actor.kind === "system") return "Automatic";
  if (event.actor.kind === "staff") return "Dispute team";
  if (event.actor.userId === contract.client.id) return `${contract.client.name} (client)`;
  if (event.actor.userId === contract.freelancer.id)
    return `${contract.freelancer.name} (freelancer)`;
  return "Someone";
}

/** One line of history in plain words. */
export function describeEvent(event: ContractEvent, contract: Contract): string {
  const money = (n: unknown) => formatMoney(num(n), contract.currency);
  const d = event.data;
  const milestone = contract.milestones.find((m) => m.id === d.milestoneId);
  const name = milestone ? `milestone ${milestone.position} “${milestone.title}”` : "a milestone";
  switch (event.type) {
    case "contract.offered":
      return "Offer sent";
    case "contract.accepted":
      return "Offer accepted; the contract is active";
    case "contract.declined":
      return "Offer declined; the deposit went back to the client";
    case "contract.withdrawn":
      return "Offer withdrawn; the deposit went back to the client";
    case "contract.ended":
      return `Contract ended by the ${str(d.endedBy) || "a party"}${d.reason ? `: “${str(d.reason)}”` : ""}`;
    case "milestone.added":
      return `Added ${name} for ${money(d.amount)}`;
    case "milestone.updated":
      return `Changed ${name}${d.amount !== undefined ? `: amount ${money(d.amount)}` : ""}`;
    case "milestone.cancelled":
      return `Cancelled ${name}`;
    case "milestone.funded":
      return `Funded ${name} with ${money(d.amount)} (${money(d.charged)} charged, ${money(d.fromUnallocated)} from unallocated escrow)`;
    case "milestone.submitted":
      return `Work submitted for ${name}`;
    case "milestone.changes_requested":
      return `Changes requested on ${name}${d.message ? `: “${str(d.message)}”` : ""}`;
    case "milestone.approved": {
      const left = num(d.leftUnallocated);
      const extra = num(d.extraCharged);
      return `Approved ${name}: ${money(d.releasedAmount)} released${left ? `, ${money(left)} left unallocated` : ""}${extra ? `, ${money(extra)} extra charged` : ""}`;
    }
    case "milestone.auto_approved":
      return `Auto-approved ${name}: ${money(d.releasedAmount)} released after the review window`;
    case "milestone.refunded":
      return `Refunded ${money(d.amount)} of ${name} to the client`;
    case "milestone.auto_approval_reminder":
      return `Reminder: ${name} will be approved automatically soon`;
    case "due_date_change.proposed":
      return `Proposed a new due date for ${name}: ${formatCalendarDate(str(d.dueDate))}`;
    case "due_date_change.accepted":
      return `Accepted the new due date for ${name}`;
    case "due_date_change.declined":
      return `Declined the new due date for ${name}`;
    case "refund_request.created":
      return `Requested an escrow refund of ${money(d.amount)}${d.reason ? `: “${str(d.reason)}”` : ""}`;
    case "refund_request.approved":
      return "Approved the escrow refund; the money went back to the client";
    case "refund_request.auto_approved":
      return "Escrow refund approved automatically after the response window";
    case "refund_request.disputed":
      return `Disputed the escrow refund of ${money(d.amount)}${d.reason ? `: “${str(d.reason)}”` : ""}`;
    case "refund_request.cancelled":
      return "Cancelled the escrow refund request; the money stays in escrow";
    case "refund_request.reminder":
      return "Reminder: the escrow refund will be approved automatically soon";
    case "dispute.resolved":
      return `Dispute settled: ${money(d.refundAmount)} refunded to the client, ${money(d.releaseAmount)} released to the freelancer. Reason: “${str(d.reason)}”`;
    default:
      return event.type;
  }
}
