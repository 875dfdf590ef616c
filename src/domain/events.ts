import type { Actor, Instant } from "./types.js";

/** Event types of the contract history (R22); also used by notifications and webhooks. */
export const EVENT_TYPES = [
  "contract.offered",
  "contract.accepted",
  "contract.declined",
  "contract.withdrawn",
  "contract.ended",
  "milestone.added",
  "milestone.updated",
  "milestone.cancelled",
  "milestone.funded",
  "milestone.submitted",
  "milestone.changes_requested",
  "milestone.approved",
  "milestone.auto_approved",
  "milestone.refunded",
  "milestone.auto_approval_reminder",
  "due_date_change.proposed",
  "due_date_change.accepted",
  "due_date_change.declined",
  "refund_request.created",
  "refund_request.approved",
  "refund_request.auto_approved",
  "refund_request.disputed",
  "refund_request.cancelled",
  "refund_request.reminder",
  "dispute.resolved",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Events that leave work for the dispute team (R19): staff are notified of them too. */
export const STAFF_EVENTS: ReadonlySet<string> = new Set<EventType>(["refund_request.disputed"]);

export interface EventDraft {
  readonly type: EventType;
  readonly data: Readonly<Record<string, unknown>>;
  /** Who caused this event when it is not the plan's actor (a timed rule run inside a user's command). */
  readonly actor?: Actor;
}

export interface ContractEvent {
  readonly id: string;
  readonly contractId: string;
  readonly type: EventType;
  readonly actor: Actor;
  readonly createdAt: Instant;
  readonly data: Readonly<Record<string, unknown>>;
}
