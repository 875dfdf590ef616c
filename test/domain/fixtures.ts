/**
 * Builders for pure domain tests: aggregates in any state, callers, a fixed clock. The builders
 * keep their own notion of which milestone statuses hold money, so a test does not inherit a
 * mistake from the tables under test.
 */
import { expect } from "vitest";
import type { Caller, ContractAggregate, DecideContext, Plan } from "../../src/domain/aggregate.js";
import type { FailureCode } from "../../src/domain/failures.js";
import type { Result } from "../../src/domain/result.js";
import {
  DAY_MS,
  type Contract,
  type ContractStatus,
  type Dispute,
  type DisputeStatus,
  type DueDateChange,
  type DueDateChangeStatus,
  type Milestone,
  type MilestoneStatus,
  type RefundRequest,
  type RefundRequestStatus,
} from "../../src/domain/types.js";

export const NOW = Date.parse("2026-03-15T12:00:00.000Z");

export const CLIENT: Caller = Object.freeze({ userId: "u_client", isStaff: false });
export const FREELANCER: Caller = Object.freeze({ userId: "u_freelancer", isStaff: false });
export const STAFF: Caller = Object.freeze({ userId: "u_staff", isStaff: true });
export const STRANGER: Caller = Object.freeze({ userId: "u_stranger", isStaff: false });

export const CALLERS = { client: CLIENT, freelancer: FREELANCER, staff: STAFF, stranger: STRANGER };
export type CallerName = keyof typeof CALLERS;

export function context(now: number = NOW): DecideContext {
  let next = 0;
  return { now, newId: (prefix) => `${prefix}_new${++next}` };
}

/** Statuses in which a milestone holds money, as the rules describe them (R11-R13). */
const HOLDS_MONEY: readonly MilestoneStatus[] = ["funded", "submitted", "changes_requested"];
const WAS_FUNDED: readonly MilestoneStatus[] = [...HOLDS_MONEY, "paid", "refunded"];

export const CONTRACT_ID = "ctr_1";

export function makeContract(overrides: Partial<Contract> = {}): Contract {
  const status = overrides.status ?? "active";
  const started = status !== "offered" && status !== "declined" && status !== "withdrawn";
  const closed = status !== "offered" && status !== "active";
  return {
    id: CONTRACT_ID,
    clientId: CLIENT.userId,
    freelancerId: FREELANCER.userId,
    title: "Website",
    description: "",
    currency: "USD",
    status,
    reviewWindowDays: 14,
    refundWindowDays: 7,
    escrowBalance: 0,
    endedBy: status === "ended" ? "client" : null,
    createdAt: NOW - 30 * DAY_MS,
    acceptedAt: started ? NOW - 29 * DAY_MS : null,
    endedAt: closed ? NOW - DAY_MS : null,
    ...overrides,
  };
}

/** A milestone at `position` whose money fields match its status. */
export function makeMilestone(
  position: number,
  status: MilestoneStatus,
  overrides: Partial<Milestone> = {},
): Milestone {
  const amount = overrides.amount ?? 1_000;
  const fundedAmount = WAS_FUNDED.includes(status) ? amount : 0;
  const submittedAt = status === "submitted" ? NOW - DAY_MS : null;
  return {
    id: `ms_${position}`,
    contractId: CONTRACT_ID,
    position,
    title: `Milestone ${position}`,
    description: "",
    amount,
    dueDate: null,
    status,
    fundedAmount,
    releasedAmount: status === "paid" ? fundedAmount : 0,
    submittedAt,
    autoApproveAt: submittedAt === null ? null : submittedAt + 14 * DAY_MS,
    createdAt: NOW - 30 * DAY_MS,
    ...overrides,
  };
}

export interface AggregateSpec {
  readonly contract?: Partial<Contract>;
  readonly milestones?: readonly Milestone[];
  /** Escrow not allocated to a milestone (R15); the escrow balance adds the holding milestones. */
  readonly unallocated?: number;
  readonly openRefundRequest?: RefundRequest | null;
}

export function makeAggregate(spec: AggregateSpec = {}): ContractAggregate {
  const milestones = spec.milestones ?? [makeMilestone(1, "funded")];
  const held = milestones
    .filter((m) => HOLDS_MONEY.includes(m.status))
    .reduce((sum, m) => sum + m.fundedAmount, 0);
  return {
    contract: makeContract({ escrowBalance: held + (spec.unallocated ?? 0), ...spec.contract }),
    milestones,
    openRefundRequest: spec.openRefundRequest ?? null,
  };
}

/** A contract in `status` with the milestones such a contract has in practice. */
export function aggregateInContractStatus(status: ContractStatus): ContractAggregate {
  switch (status) {
    case "offered":
    case "active":
      return makeAggregate({
        contract: { status },
        milestones: [makeMilestone(1, "funded"), makeMilestone(2, "pending")],
      });
    case "ended":
      return makeAggregate({
        contract: { status },
        milestones: [makeMilestone(1, "funded"), makeMilestone(2, "cancelled")],
      });
    case "declined":
    case "withdrawn":
      return makeAggregate({
        contract: { status },
        milestones: [makeMilestone(1, "refunded"), makeMilestone(2, "cancelled")],
      });
  }
}

export function makeRefundRequest(
  status: RefundRequestStatus,
  overrides: Partial<RefundRequest> = {},
): RefundRequest {
  return {
    id: "rfd_1",
    contractId: CONTRACT_ID,
    amount: 1_000,
    reason: "",
    status,
    respondBy: NOW + 7 * DAY_MS,
    disputeId: status === "disputed" || status === "resolved" ? "dsp_1" : null,
    createdAt: NOW - DAY_MS,
    answeredAt: status === "pending" ? null : NOW - 1,
    ...overrides,
  };
}

export function makeDispute(status: DisputeStatus, overrides: Partial<Dispute> = {}): Dispute {
  const resolved = status === "resolved";
  return {
    id: "dsp_1",
    refundRequestId: "rfd_1",
    contractId: CONTRACT_ID,
    amount: 1_000,
    reason: "the work was delivered",
    status,
    refundAmount: resolved ? 500 : null,
    releaseAmount: resolved ? 500 : null,
    resolutionReason: resolved ? "half each" : null,
    resolvedBy: resolved ? STAFF.userId : null,
    resolvedAt: resolved ? NOW - 1 : null,
    createdAt: NOW - DAY_MS,
    ...overrides,
  };
}

export function makeDueDateChange(
  status: DueDateChangeStatus,
  overrides: Partial<DueDateChange> = {},
): DueDateChange {
  return {
    id: "ddc_1",
    milestoneId: "ms_1",
    contractId: CONTRACT_ID,
    dueDate: "2026-04-30",
    proposedBy: FREELANCER.userId,
    status,
    createdAt: NOW - DAY_MS,
    answeredAt: status === "pending" ? null : NOW - 1,
    ...overrides,
  };
}

/** The plan of a successful decision; fails the test with the failure otherwise. */
export function planOf(result: Result<Plan>): Plan {
  if (!result.ok) {
    expect.fail(`expected success, got ${result.code}: ${result.message}`);
  }
  return result.value;
}

/** Asserts a failure with `code` (and `field`, when given). */
export function expectFailure(result: Result<Plan>, code: FailureCode, field?: string): void {
  expect(result.ok ? "ok" : result.code, result.ok ? "" : result.message).toBe(code);
  if (field !== undefined && !result.ok) expect(result.field).toBe(field);
}

/** The milestone `id` after `plan`: the plan's copy if it changes it, else the aggregate's. */
export function milestoneAfter(agg: ContractAggregate, plan: Plan, id: string): Milestone {
  const changed = plan.milestones.find((m) => m.id === id);
  const before = agg.milestones.find((m) => m.id === id);
  const result = changed ?? before;
  if (!result) expect.fail(`no milestone ${id}`);
  return result;
}

/** The aggregate as it stands after `plan` is applied. */
export function applyPlan(agg: ContractAggregate, plan: Plan): ContractAggregate {
  return {
    contract: plan.contract,
    milestones: agg.milestones.map((m) => plan.milestones.find((p) => p.id === m.id) ?? m),
    openRefundRequest: agg.openRefundRequest,
  };
}
