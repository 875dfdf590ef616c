/** Shapes of the public API's answers (API.md), as the web app reads them. */

export interface User {
  id: string;
  email: string;
  name: string;
  isStaff: boolean;
}

export interface Party {
  id: string;
  name: string;
  email: string;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

export interface PaymentMethod {
  id: string;
  brand: string;
  last4: string;
  isDefault: boolean;
}

export type ContractStatus = "offered" | "active" | "ended" | "declined" | "withdrawn";
export type MilestoneStatus =
  "pending" | "funded" | "submitted" | "changes_requested" | "paid" | "refunded" | "cancelled";

export interface Submission {
  id: string;
  message: string;
  links: string[];
  createdAt: string;
  review: null | {
    outcome: "approved" | "changes_requested" | "auto_approved";
    message: string | null;
    createdAt: string;
  };
}

export interface Milestone {
  id: string;
  contractId: string;
  position: number;
  title: string;
  description: string;
  amount: number;
  dueDate: string | null;
  overdue: boolean;
  status: MilestoneStatus;
  fundedAmount: number;
  releasedAmount: number;
  submittedAt: string | null;
  autoApproveAt: string | null;
  autoApprovalPaused: boolean;
  submissions: Submission[];
}

export type AutomaticAction =
  | { type: "milestone_auto_approval"; at: string; milestoneId: string }
  | { type: "refund_auto_approval"; at: string; refundRequestId: string };

export interface Contract {
  id: string;
  title: string;
  description: string;
  currency: string;
  status: ContractStatus;
  client: Party;
  freelancer: Party;
  escrowBalance: number;
  unallocatedEscrow: number;
  totalAmount: number;
  reviewWindowDays: number;
  refundWindowDays: number;
  endedBy: "client" | "freelancer" | null;
  openRefundRequestId: string | null;
  nextAutomaticAction: AutomaticAction | null;
  milestones: Milestone[];
  createdAt: string;
  acceptedAt: string | null;
  endedAt: string | null;
}

export interface ContractEvent {
  id: string;
  type: string;
  actor: { kind: "user" | "staff" | "system"; userId?: string };
  createdAt: string;
  data: Record<string, unknown>;
}

export type RefundStatus =
  "pending" | "approved" | "auto_approved" | "disputed" | "cancelled" | "resolved";

export interface RefundRequest {
  id: string;
  contractId: string;
  amount: number;
  reason: string | null;
  status: RefundStatus;
  respondBy: string;
  disputeId: string | null;
  createdAt: string;
}

export interface Dispute {
  id: string;
  refundRequestId: string;
  contractId: string;
  amount: number;
  reason: string;
  status: "open" | "resolved";
  resolution: null | {
    refundAmount: number;
    releaseAmount: number;
    reason: string;
    resolvedBy: string;
    resolvedAt: string;
  };
  createdAt: string;
}

export interface Transaction {
  id: string;
  createdAt: string;
  type: string;
  description: string;
  contractId: string;
  milestoneId: string | null;
  amount: number;
  currency: string;
  status: string;
}

export type TransactionPage = Page<Transaction>;

export interface TransactionTotal {
  currency: string;
  net: number;
  count: number;
}

export interface DueDateChange {
  id: string;
  milestoneId: string;
  dueDate: string;
  proposedBy: string;
  status: "pending" | "accepted" | "declined";
}

/** An in-app notification (GET /v1/notifications). */
export interface AppNotification {
  id: string;
  type: string;
  contractId: string;
  message: string;
  createdAt: string;
  readAt: string | null;
}
