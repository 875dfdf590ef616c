/**
 * Mapping between rows and domain types, both ways. Status columns hold the domain's string
 * unions; the database constraints and these casts are the only place they meet.
 */
import type {
  Contract,
  ContractStatus,
  Dispute,
  DisputeStatus,
  DueDateChange,
  DueDateChangeStatus,
  Milestone,
  MilestoneStatus,
  Party,
  RefundRequest,
  RefundRequestStatus,
  ReviewOutcome,
  Submission,
} from "../domain/types.js";
import type { PaymentMethod, User } from "../app/ports.js";
import type {
  ContractsTable,
  DisputesTable,
  DueDateChangesTable,
  MilestonesTable,
  PaymentMethodsTable,
  RefundRequestsTable,
  SubmissionsTable,
  UsersTable,
} from "./schema.js";

export function contractFromRow(row: ContractsTable): Contract {
  return {
    id: row.id,
    clientId: row.client_id,
    freelancerId: row.freelancer_id,
    title: row.title,
    description: row.description,
    currency: row.currency,
    status: row.status as ContractStatus,
    reviewWindowDays: row.review_window_days,
    refundWindowDays: row.refund_window_days,
    escrowBalance: row.escrow_balance,
    endedBy: row.ended_by as Party | null,
    createdAt: row.created_at,
    acceptedAt: row.accepted_at,
    endedAt: row.ended_at,
  };
}

export function contractToRow(c: Contract): ContractsTable {
  return {
    id: c.id,
    client_id: c.clientId,
    freelancer_id: c.freelancerId,
    title: c.title,
    description: c.description,
    currency: c.currency,
    status: c.status,
    review_window_days: c.reviewWindowDays,
    refund_window_days: c.refundWindowDays,
    escrow_balance: c.escrowBalance,
    ended_by: c.endedBy,
    created_at: c.createdAt,
    accepted_at: c.acceptedAt,
    ended_at: c.endedAt,
  };
}

export function milestoneFromRow(row: MilestonesTable): Milestone {
  return {
    id: row.id,
    contractId: row.contract_id,
    position: row.position,
    title: row.title,
    description: row.description,
    amount: row.amount,
    dueDate: row.due_date,
    status: row.status as MilestoneStatus,
    fundedAmount: row.funded_amount,
    releasedAmount: row.released_amount,
    submittedAt: row.submitted_at,
    autoApproveAt: row.auto_approve_at,
    createdAt: row.created_at,
  };
}

export function milestoneToRow(m: Milestone): MilestonesTable {
  return {
    id: m.id,
    contract_id: m.contractId,
    position: m.position,
    title: m.title,
    description: m.description,
    amount: m.amount,
    due_date: m.dueDate,
    status: m.status,
    funded_amount: m.fundedAmount,
    released_amount: m.releasedAmount,
    submitted_at: m.submittedAt,
    auto_approve_at: m.autoApproveAt,
    created_at: m.createdAt,
  };
}

export function submissionFromRow(row: SubmissionsTable): Submission {
  return {
    id: row.id,
    milestoneId: row.milestone_id,
    message: row.message,
    links: JSON.parse(row.links) as string[],
    createdAt: row.created_at,
    reviewOutcome: row.review_outcome as ReviewOutcome | null,
    reviewMessage: row.review_message,
    reviewedAt: row.reviewed_at,
  };
}

export function submissionToRow(s: Submission): SubmissionsTable {
  return {
    id: s.id,
    milestone_id: s.milestoneId,
    message: s.message,
    links: JSON.stringify(s.links),
    created_at: s.createdAt,
    review_outcome: s.reviewOutcome,
    review_message: s.reviewMessage,
    reviewed_at: s.reviewedAt,
  };
}

export function refundRequestFromRow(row: RefundRequestsTable): RefundRequest {
  return {
    id: row.id,
    contractId: row.contract_id,
    amount: row.amount,
    reason: row.reason,
    status: row.status as RefundRequestStatus,
    respondBy: row.respond_by,
    disputeId: row.dispute_id,
    createdAt: row.created_at,
    answeredAt: row.answered_at,
  };
}

export function refundRequestToRow(r: RefundRequest): RefundRequestsTable {
  return {
    id: r.id,
    contract_id: r.contractId,
    amount: r.amount,
    reason: r.reason,
    status: r.status,
    respond_by: r.respondBy,
    dispute_id: r.disputeId,
    created_at: r.createdAt,
    answered_at: r.answeredAt,
  };
}

export function disputeFromRow(row: DisputesTable): Dispute {
  return {
    id: row.id,
    refundRequestId: row.refund_request_id,
    contractId: row.contract_id,
    amount: row.amount,
    reason: row.reason,
    status: row.status as DisputeStatus,
    refundAmount: row.refund_amount,
    releaseAmount: row.release_amount,
    resolutionReason: row.resolution_reason,
    resolvedBy: row.resolved_by,
    resolvedAt: row.resolved_at,
    createdAt: row.created_at,
  };
}

export function disputeToRow(d: Dispute): DisputesTable {
  return {
    id: d.id,
    refund_request_id: d.refundRequestId,
    contract_id: d.contractId,
    amount: d.amount,
    reason: d.reason,
    status: d.status,
    refund_amount: d.refundAmount,
    release_amount: d.releaseAmount,
    resolution_reason: d.resolutionReason,
    resolved_by: d.resolvedBy,
    resolved_at: d.resolvedAt,
    created_at: d.createdAt,
  };
}

export function dueDateChangeFromRow(row: DueDateChangesTable): DueDateChange {
  return {
    id: row.id,
    milestoneId: row.milestone_id,
    contractId: row.contract_id,
    dueDate: row.due_date,
    proposedBy: row.proposed_by,
    status: row.status as DueDateChangeStatus,
    createdAt: row.created_at,
    answeredAt: row.answered_at,
  };
}

export function dueDateChangeToRow(d: DueDateChange): DueDateChangesTable {
  return {
    id: d.id,
    milestone_id: d.milestoneId,
    contract_id: d.contractId,
    due_date: d.dueDate,
    proposed_by: d.proposedBy,
    status: d.status,
    created_at: d.createdAt,
    answered_at: d.answeredAt,
  };
}

export function userFromRow(row: UsersTable): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    isStaff: row.is_staff === 1,
    createdAt: row.created_at,
  };
}

export function paymentMethodFromRow(row: PaymentMethodsTable): PaymentMethod {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    token: row.token,
    brand: row.brand,
    last4: row.last4,
    createdAt: row.created_at,
  };
}

export function paymentMethodToRow(p: PaymentMethod): PaymentMethodsTable {
  return {
    id: p.id,
    user_id: p.userId,
    provider: p.provider,
    token: p.token,
    brand: p.brand,
    last4: p.last4,
    created_at: p.createdAt,
  };
}
