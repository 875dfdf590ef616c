/**
 * Escrow refunds and disputes (R17-R20).
 */
import {
  authorize,
  holdsMoney,
  refundEverything,
  makePlan,
  userActor,
  type Caller,
  type ContractAggregate,
  type DecideContext,
  type Plan,
} from "./aggregate.js";
import type { Movement } from "./ledger.js";
import {
  allows,
  DISPUTE_TRANSITIONS,
  REFUND_REQUEST_TRANSITIONS,
  type RefundRequestCommand,
} from "./machines.js";
import { fail, ok, type Failure, type Result } from "./result.js";
import { DAY_MS, SYSTEM, type Dispute, type RefundRequest, type Submission } from "./types.js";
import { checkText, firstFailure, LIMITS } from "./validation.js";
import { requireReviewWindowOpen } from "./milestone-rules.js";

function checkRefundCommand(request: RefundRequest, command: RefundRequestCommand): Failure | null {
  return allows(REFUND_REQUEST_TRANSITIONS[command], request.status)
    ? null
    : fail(
        "invalid_state",
        `cannot ${command.replace("_", " ")} a refund request that is ${request.status}`,
      );
}

/**
 * R18: once the response window has ended the refund is approved automatically; a late answer
 * would race the sweep, so it is refused whether or not the sweep has run yet.
 */
function requireResponseWindowOpen(request: RefundRequest, now: number): Failure | null {
  return request.status === "pending" && request.respondBy <= now
    ? fail(
        "invalid_state",
        "the response window has ended: the refund is being approved automatically",
      )
    : null;
}

/** R17: after the contract has ended, the client may ask for all the escrow back. */
export function decideRequestRefund(
  agg: ContractAggregate,
  caller: Caller,
  reason: string,
  ctx: DecideContext,
): Result<Plan> {
  const { contract } = agg;
  const refused =
    authorize(contract, caller, "client", "contract") ??
    checkText(reason, "reason", LIMITS.reason, false) ??
    (contract.status === "ended"
      ? null
      : fail("invalid_state", "a refund can be requested only after the contract has ended")) ??
    (agg.openRefundRequest ? fail("invalid_state", "a refund request is already open") : null) ??
    (contract.escrowBalance > 0 ? null : fail("invalid_state", "there is no money in escrow")) ??
    firstFailure(...agg.milestones.map((m) => requireReviewWindowOpen(m, ctx.now)));
  if (refused) return refused;
  const request: RefundRequest = {
    id: ctx.newId("rfd"),
    contractId: contract.id,
    amount: contract.escrowBalance,
    reason,
    status: "pending",
    respondBy: ctx.now + contract.refundWindowDays * DAY_MS,
    disputeId: null,
    createdAt: ctx.now,
    answeredAt: null,
  };
  return ok(
    makePlan(agg, userActor(caller), {
      refundRequests: [request],
      events: [
        {
          type: "refund_request.created",
          data: {
            refundRequestId: request.id,
            amount: request.amount,
            reason,
            respondBy: new Date(request.respondBy).toISOString(),
          },
        },
      ],
    }),
  );
}

/** R18: approved by the freelancer, or automatically after the response window. */
function approveRefund(
  agg: ContractAggregate,
  request: RefundRequest,
  automatic: boolean,
  caller: Caller | null,
  ctx: DecideContext,
): Result<Plan> {
  const refund = refundEverything(agg);
  const status = automatic ? "auto_approved" : "approved";
  return ok(
    makePlan(agg, caller ? userActor(caller) : SYSTEM, {
      refundRequests: [{ ...request, status, answeredAt: ctx.now }],
      milestones: refund.milestones,
      movements: refund.movements,
      ledgerCause: `refund:${request.id}`,
      events: [
        {
          type: `refund_request.${status}`,
          data: { refundRequestId: request.id, amount: agg.contract.escrowBalance },
        },
        ...refund.events,
      ],
    }),
  );
}

export function decideApproveRefund(
  agg: ContractAggregate,
  caller: Caller,
  request: RefundRequest,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "freelancer", "refund request") ??
    checkRefundCommand(request, "approve") ??
    requireResponseWindowOpen(request, ctx.now);
  if (refused) return refused;
  return approveRefund(agg, request, false, caller, ctx);
}

export function decideAutoApproveRefund(
  agg: ContractAggregate,
  request: RefundRequest,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    checkRefundCommand(request, "auto_approve") ??
    (request.respondBy <= ctx.now
      ? null
      : fail("invalid_state", "the response window has not ended"));
  if (refused) return refused;
  return approveRefund(agg, request, true, null, ctx);
}

/** R18, R19: the freelancer disputes; the money stays frozen until staff decide. */
export function decideDisputeRefund(
  agg: ContractAggregate,
  caller: Caller,
  request: RefundRequest,
  reason: string,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "freelancer", "refund request") ??
    checkText(reason, "reason", LIMITS.reason, true) ??
    checkRefundCommand(request, "dispute") ??
    requireResponseWindowOpen(request, ctx.now);
  if (refused) return refused;
  const dispute: Dispute = {
    id: ctx.newId("dsp"),
    refundRequestId: request.id,
    contractId: agg.contract.id,
    amount: request.amount,
    reason,
    status: "open",
    refundAmount: null,
    releaseAmount: null,
    resolutionReason: null,
    resolvedBy: null,
    resolvedAt: null,
    createdAt: ctx.now,
  };
  return ok(
    makePlan(agg, userActor(caller), {
      refundRequests: [
        { ...request, status: "disputed", disputeId: dispute.id, answeredAt: ctx.now },
      ],
      disputes: [dispute],
      events: [
        {
          type: "refund_request.disputed",
          data: {
            refundRequestId: request.id,
            disputeId: dispute.id,
            amount: dispute.amount,
            reason,
          },
        },
      ],
    }),
  );
}

/**
 * R20: the client cancels a pending request; the money stays in escrow. A review window that
 * ended while the request was open approves at once (no time is added back), in this same
 * transaction.
 */
export function decideCancelRefund(
  agg: ContractAggregate,
  caller: Caller,
  request: RefundRequest,
  ctx: DecideContext,
  openSubmissions: readonly Submission[] = [],
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "client", "refund request") ??
    checkRefundCommand(request, "cancel") ??
    requireResponseWindowOpen(request, ctx.now);
  if (refused) return refused;
  const overdue = agg.milestones.filter(
    (m) => m.status === "submitted" && m.autoApproveAt !== null && m.autoApproveAt <= ctx.now,
  );
  // The submissions those approvals answer, as the timed rule records them (R14).
  const reviewed = openSubmissions
    .filter((s) => s.reviewOutcome === null && overdue.some((m) => m.id === s.milestoneId))
    .map((s) => ({
      ...s,
      reviewOutcome: "auto_approved" as const,
      reviewMessage: null,
      reviewedAt: ctx.now,
    }));
  const releases: Movement[] = overdue.map((m) => ({
    kind: "release",
    amount: m.fundedAmount,
    milestoneId: m.id,
  }));
  return ok(
    makePlan(agg, userActor(caller), {
      refundRequests: [{ ...request, status: "cancelled", answeredAt: ctx.now }],
      milestones: overdue.map((m) => ({
        ...m,
        status: "paid" as const,
        releasedAmount: m.fundedAmount,
        autoApproveAt: null,
      })),
      submissions: reviewed,
      movements: releases,
      ledgerCause: overdue.length > 0 ? `release:${overdue.map((m) => m.id).join(",")}` : null,
      events: [
        { type: "refund_request.cancelled", data: { refundRequestId: request.id } },
        ...overdue.map((m) => ({
          type: "milestone.auto_approved" as const,
          actor: SYSTEM,
          data: {
            milestoneId: m.id,
            releasedAmount: m.fundedAmount,
            afterRefundRequestCancelled: true,
          },
        })),
      ],
    }),
  );
}

export interface Split {
  readonly refundAmount: number;
  readonly releaseAmount: number;
  readonly reason: string;
}

function checkSplit(dispute: Dispute, split: Split): Failure | null {
  for (const field of ["refundAmount", "releaseAmount"] as const) {
    const value = split[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      return fail(
        "validation_failed",
        `${field} must be a whole number of minor units, 0 or more`,
        field,
      );
    }
  }
  if (split.refundAmount + split.releaseAmount !== dispute.amount) {
    return fail(
      "validation_failed",
      `refundAmount and releaseAmount must add up to the disputed amount ${dispute.amount}`,
      "refundAmount",
    );
  }
  return checkText(split.reason, "reason", LIMITS.reason, true);
}

/** The release goes to the milestones holding money, in order; the rest are refunded. */
function allocateRelease(agg: ContractAggregate, releaseAmount: number) {
  let left = releaseAmount;
  const holding = agg.milestones.filter(holdsMoney);
  const milestones = holding.map((m, index) => {
    const isLast = index === holding.length - 1;
    const share = isLast ? left : Math.min(left, m.fundedAmount);
    left -= share;
    return share > 0
      ? { ...m, status: "paid" as const, releasedAmount: share, autoApproveAt: null }
      : { ...m, status: "refunded" as const, autoApproveAt: null };
  });
  return milestones;
}

/** R19: staff split the disputed amount between refund and release, with a reason. */
export function decideResolveDispute(
  agg: ContractAggregate,
  caller: Caller,
  dispute: Dispute,
  request: RefundRequest,
  split: Split,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "staff", "dispute") ??
    checkSplit(dispute, split) ??
    (allows(DISPUTE_TRANSITIONS.resolve, dispute.status)
      ? null
      : fail("invalid_state", `the dispute is already ${dispute.status}`)) ??
    checkRefundCommand(request, "resolve");
  if (refused) return refused;
  const milestones = allocateRelease(agg, split.releaseAmount);
  const paidOnes = milestones.filter((m) => m.status === "paid");
  const releaseMilestone = paidOnes.length === 1 ? paidOnes[0]!.id : null;
  const refundMilestone = milestones.length === 1 ? milestones[0]!.id : null;
  const movements: Movement[] = [];
  if (split.refundAmount > 0)
    movements.push({
      kind: "dispute_refund",
      amount: split.refundAmount,
      milestoneId: refundMilestone,
    });
  if (split.releaseAmount > 0)
    movements.push({
      kind: "dispute_release",
      amount: split.releaseAmount,
      milestoneId: releaseMilestone,
    });
  const resolved: Dispute = {
    ...dispute,
    status: "resolved",
    refundAmount: split.refundAmount,
    releaseAmount: split.releaseAmount,
    resolutionReason: split.reason,
    resolvedBy: caller.userId,
    resolvedAt: ctx.now,
  };
  return ok(
    makePlan(
      agg,
      { kind: "staff", userId: caller.userId },
      {
        disputes: [resolved],
        refundRequests: [{ ...request, status: "resolved" }],
        milestones,
        movements,
        ledgerCause: `dispute:${dispute.id}`,
        events: [
          {
            type: "dispute.resolved",
            data: {
              disputeId: dispute.id,
              refundAmount: split.refundAmount,
              releaseAmount: split.releaseAmount,
              reason: split.reason,
            },
          },
        ],
      },
    ),
  );
}
