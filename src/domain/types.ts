/**
 * The entities of the escrow domain. Times are `Instant`s: milliseconds since the Unix epoch,
 * UTC. Amounts are integers in the contract currency's minor unit (R3).
 */
export type Instant = number;
export const DAY_MS = 24 * 60 * 60 * 1000;

export type ContractStatus = "offered" | "active" | "ended" | "declined" | "withdrawn";
export type MilestoneStatus =
  "pending" | "funded" | "submitted" | "changes_requested" | "paid" | "refunded" | "cancelled";
export type RefundRequestStatus =
  "pending" | "approved" | "auto_approved" | "disputed" | "cancelled" | "resolved";
export type DisputeStatus = "open" | "resolved";
export type DueDateChangeStatus = "pending" | "accepted" | "declined";
export type Party = "client" | "freelancer";

export interface Contract {
  readonly id: string;
  readonly clientId: string;
  readonly freelancerId: string;
  readonly title: string;
  readonly description: string;
  readonly currency: string;
  readonly status: ContractStatus;
  readonly reviewWindowDays: number;
  readonly refundWindowDays: number;
  /** Money held for this contract; mirrors the ledger's escrow account, never negative (R4). */
  readonly escrowBalance: number;
  readonly endedBy: Party | null;
  readonly createdAt: Instant;
  readonly acceptedAt: Instant | null;
  readonly endedAt: Instant | null;
}

export interface Milestone {
  readonly id: string;
  readonly contractId: string;
  readonly position: number;
  readonly title: string;
  readonly description: string;
  readonly amount: number;
  /** Calendar date `YYYY-MM-DD`, or null. */
  readonly dueDate: string | null;
  readonly status: MilestoneStatus;
  readonly fundedAmount: number;
  readonly releasedAmount: number;
  readonly submittedAt: Instant | null;
  /** When the open submission is approved automatically (R14); null when no clock runs. */
  readonly autoApproveAt: Instant | null;
  readonly createdAt: Instant;
}

export type ReviewOutcome = "approved" | "changes_requested" | "auto_approved";

export interface Submission {
  readonly id: string;
  readonly milestoneId: string;
  readonly message: string;
  readonly links: readonly string[];
  readonly createdAt: Instant;
  readonly reviewOutcome: ReviewOutcome | null;
  readonly reviewMessage: string | null;
  readonly reviewedAt: Instant | null;
}

export interface RefundRequest {
  readonly id: string;
  readonly contractId: string;
  readonly amount: number;
  readonly reason: string;
  readonly status: RefundRequestStatus;
  /** When the request is approved automatically if the freelancer stays silent (R18). */
  readonly respondBy: Instant;
  readonly disputeId: string | null;
  readonly createdAt: Instant;
  readonly answeredAt: Instant | null;
}

export interface Dispute {
  readonly id: string;
  readonly refundRequestId: string;
  readonly contractId: string;
  readonly amount: number;
  readonly reason: string;
  readonly status: DisputeStatus;
  readonly refundAmount: number | null;
  readonly releaseAmount: number | null;
  readonly resolutionReason: string | null;
  readonly resolvedBy: string | null;
  readonly resolvedAt: Instant | null;
  readonly createdAt: Instant;
}

export interface DueDateChange {
  readonly id: string;
  readonly milestoneId: string;
  readonly contractId: string;
  readonly dueDate: string;
  readonly proposedBy: string;
  readonly status: DueDateChangeStatus;
  readonly createdAt: Instant;
  readonly answeredAt: Instant | null;
}

/** Who did something (R22): a user acting as a party, a staff member, or the timed rules. */
export type Actor =
  | { readonly kind: "user"; readonly userId: string }
  | { readonly kind: "staff"; readonly userId: string }
  | { readonly kind: "system" };

export const SYSTEM: Actor = Object.freeze({ kind: "system" });
