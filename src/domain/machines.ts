/**
 * The state machines as data. Each command lists the states it may start from and the state it
 * leads to. Rules that look beyond one object (contract status, order of milestones, an open
 * refund request) are checked by the decide functions; these tables are the single source of
 * which transitions exist, and the table-driven tests walk every (state, command) pair.
 */
import type {
  ContractStatus,
  DisputeStatus,
  DueDateChangeStatus,
  MilestoneStatus,
  RefundRequestStatus,
} from "./types.js";

export interface Transition<S extends string> {
  readonly from: readonly S[];
  /** The resulting state; `null` means the state does not change (edits, proposals). */
  readonly to: S | null;
}

export const CONTRACT_STATUSES: readonly ContractStatus[] = [
  "offered",
  "active",
  "ended",
  "declined",
  "withdrawn",
];

export const CONTRACT_TRANSITIONS = {
  accept: { from: ["offered"], to: "active" },
  decline: { from: ["offered"], to: "declined" },
  withdraw: { from: ["offered"], to: "withdrawn" },
  end: { from: ["active"], to: "ended" },
} as const satisfies Record<string, Transition<ContractStatus>>;
export type ContractCommand = keyof typeof CONTRACT_TRANSITIONS;

export const MILESTONE_STATUSES: readonly MilestoneStatus[] = [
  "pending",
  "funded",
  "submitted",
  "changes_requested",
  "paid",
  "refunded",
  "cancelled",
];

/** Statuses in which a milestone holds money in escrow. */
export const HOLDING_STATUSES: readonly MilestoneStatus[] = [
  "funded",
  "submitted",
  "changes_requested",
];
/** Statuses after which nothing more happens to a milestone. */
export const FINAL_MILESTONE_STATUSES: readonly MilestoneStatus[] = [
  "paid",
  "refunded",
  "cancelled",
];

export const MILESTONE_TRANSITIONS = {
  update: { from: ["pending"], to: null },
  cancel: { from: ["pending"], to: "cancelled" },
  fund: { from: ["pending"], to: "funded" },
  submit: { from: ["funded", "changes_requested"], to: "submitted" },
  request_changes: { from: ["submitted"], to: "changes_requested" },
  approve: { from: ["funded", "submitted", "changes_requested"], to: "paid" },
  auto_approve: { from: ["submitted"], to: "paid" },
  refund: { from: ["funded", "submitted", "changes_requested"], to: "refunded" },
  propose_due_date: { from: ["pending", "funded", "submitted", "changes_requested"], to: null },
} as const satisfies Record<string, Transition<MilestoneStatus>>;
export type MilestoneCommand = keyof typeof MILESTONE_TRANSITIONS;

export const REFUND_REQUEST_STATUSES: readonly RefundRequestStatus[] = [
  "pending",
  "approved",
  "auto_approved",
  "disputed",
  "cancelled",
  "resolved",
];
/** A refund request in these statuses freezes the contract's escrow (R17). */
export const OPEN_REFUND_STATUSES: readonly RefundRequestStatus[] = ["pending", "disputed"];

export const REFUND_REQUEST_TRANSITIONS = {
  approve: { from: ["pending"], to: "approved" },
  auto_approve: { from: ["pending"], to: "auto_approved" },
  dispute: { from: ["pending"], to: "disputed" },
  cancel: { from: ["pending"], to: "cancelled" },
  resolve: { from: ["disputed"], to: "resolved" },
} as const satisfies Record<string, Transition<RefundRequestStatus>>;
export type RefundRequestCommand = keyof typeof REFUND_REQUEST_TRANSITIONS;

export const DISPUTE_STATUSES: readonly DisputeStatus[] = ["open", "resolved"];
export const DISPUTE_TRANSITIONS = {
  resolve: { from: ["open"], to: "resolved" },
} as const satisfies Record<string, Transition<DisputeStatus>>;
export type DisputeCommand = keyof typeof DISPUTE_TRANSITIONS;

export const DUE_DATE_CHANGE_STATUSES: readonly DueDateChangeStatus[] = [
  "pending",
  "accepted",
  "declined",
];
export const DUE_DATE_CHANGE_TRANSITIONS = {
  accept: { from: ["pending"], to: "accepted" },
  decline: { from: ["pending"], to: "declined" },
} as const satisfies Record<string, Transition<DueDateChangeStatus>>;
export type DueDateChangeCommand = keyof typeof DUE_DATE_CHANGE_TRANSITIONS;

/** Whether `command` may start from `status` by the table. */
export function allows<S extends string>(transition: Transition<S>, status: S): boolean {
  return transition.from.includes(status);
}
