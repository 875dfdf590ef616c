/**
 * A contract with everything its rules decide on: the milestones in order and the open refund
 * request. Decide functions take an aggregate, a caller, the input and `now`, and return a Plan
 * (what to write) or a Failure. They never read the clock or storage.
 */
import type { EventDraft } from "./events.js";
import { escrowDelta, type Movement } from "./ledger.js";
import { HOLDING_STATUSES, FINAL_MILESTONE_STATUSES } from "./machines.js";
import { fail, type Failure } from "./result.js";
import type {
  Actor,
  Contract,
  Dispute,
  DueDateChange,
  Instant,
  Milestone,
  Party,
  RefundRequest,
  Submission,
} from "./types.js";
import { sumAmounts } from "./money.js";
import { DAY_MS } from "./types.js";
import type { SentReminder } from "./reminders.js";

export interface ContractAggregate {
  readonly contract: Contract;
  /** Ordered by position. */
  readonly milestones: readonly Milestone[];
  /** The pending or disputed refund request, if any (at most one, R17). */
  readonly openRefundRequest: RefundRequest | null;
}

/** The user on whose behalf a command runs. */
export interface Caller {
  readonly userId: string;
  readonly isStaff: boolean;
}

export interface DecideContext {
  readonly now: Instant;
  readonly newId: (prefix: string) => string;
}

/** Everything one command writes, in one transaction. */
export interface Plan {
  readonly actor: Actor;
  readonly contract: Contract;
  readonly contractChanged: boolean;
  readonly milestones: readonly Milestone[];
  readonly submissions: readonly Submission[];
  readonly refundRequests: readonly RefundRequest[];
  readonly disputes: readonly Dispute[];
  readonly dueDateChanges: readonly DueDateChange[];
  /** Reminders sent by this command (each at most once, by its subject, deadline and offset). */
  readonly reminders: readonly SentReminder[];
  /** Amount to charge the client's payment method before the plan is committed. */
  readonly charge: number;
  /** Money movements, written as one balanced journal entry. */
  readonly movements: readonly Movement[];
  /** A unique key of the journal entry, so the same money cannot move twice (R24). */
  readonly ledgerCause: string | null;
  readonly events: readonly EventDraft[];
}

export type PlanParts = Partial<Omit<Plan, "actor" | "contract" | "contractChanged">> & {
  readonly contract?: Contract;
};

/** Builds a plan; the contract's escrow balance follows the movements. */
export function makePlan(agg: ContractAggregate, actor: Actor, parts: PlanParts): Plan {
  const movements = parts.movements ?? [];
  const base = parts.contract ?? agg.contract;
  const delta = escrowDelta(movements);
  const contract = delta === 0 ? base : { ...base, escrowBalance: base.escrowBalance + delta };
  if (contract.escrowBalance < 0) throw new Error("escrow would go negative");
  return {
    actor,
    contract,
    contractChanged: contract !== agg.contract,
    milestones: parts.milestones ?? [],
    submissions: parts.submissions ?? [],
    refundRequests: parts.refundRequests ?? [],
    disputes: parts.disputes ?? [],
    dueDateChanges: parts.dueDateChanges ?? [],
    reminders: parts.reminders ?? [],
    charge: parts.charge ?? 0,
    movements,
    ledgerCause: movements.length > 0 ? (parts.ledgerCause ?? null) : null,
    events: parts.events ?? [],
  };
}

export function partyOf(contract: Contract, userId: string): Party | null {
  if (userId === contract.clientId) return "client";
  if (userId === contract.freelancerId) return "freelancer";
  return null;
}

export function userActor(caller: Caller): Actor {
  return { kind: "user", userId: caller.userId };
}

/**
 * R2: an object the caller may not see is "not found"; a visible object with an action that is
 * not the caller's is "forbidden".
 */
export function authorize(
  contract: Contract,
  caller: Caller,
  role: Party | "party" | "staff",
  noun: string,
): Failure | null {
  const party = partyOf(contract, caller.userId);
  if (party === null && !caller.isStaff) return fail("not_found", `${noun} not found`);
  const allowed =
    role === "staff" ? caller.isStaff : role === "party" ? party !== null : party === role;
  if (!allowed) {
    const who = role === "party" ? "a party to the contract" : `the ${role}`;
    return fail("forbidden", `only ${who} may do this`);
  }
  return null;
}

export function holdsMoney(milestone: Milestone): boolean {
  return HOLDING_STATUSES.includes(milestone.status);
}

export function isFinal(milestone: Milestone): boolean {
  return FINAL_MILESTONE_STATUSES.includes(milestone.status);
}

/** Money allocated to milestones that hold it. */
export function allocatedEscrow(milestones: readonly Milestone[]): number {
  return sumAmounts(milestones.filter(holdsMoney).map((m) => m.fundedAmount));
}

/** Escrow not allocated to any milestone (R15): left over from a partial release. */
export function unallocatedEscrow(agg: ContractAggregate): number {
  return agg.contract.escrowBalance - allocatedEscrow(agg.milestones);
}

export function findMilestone(agg: ContractAggregate, milestoneId: string): Milestone | undefined {
  return agg.milestones.find((m) => m.id === milestoneId);
}

/** R14 and R25: when a submission made at `at` is approved automatically. */
export function autoApproveTime(contract: Contract, at: Instant): Instant {
  return at + contract.reviewWindowDays * DAY_MS;
}

/** R16: overdue once the UTC day of the due date has ended, unless the milestone is done. */
export function isOverdue(milestone: Milestone, now: Instant): boolean {
  if (milestone.dueDate === null || isFinal(milestone)) return false;
  const endOfDueDay = Date.parse(`${milestone.dueDate}T00:00:00.000Z`) + DAY_MS;
  return now >= endOfDueDay;
}

/**
 * Everything in escrow back to the client (R8, R9, R18): the holding milestones become refunded
 * and one refund movement carries the whole balance, unallocated escrow included.
 */
export function refundEverything(agg: ContractAggregate): {
  milestones: Milestone[];
  movements: Movement[];
  events: EventDraft[];
} {
  const holding = agg.milestones.filter(holdsMoney);
  const milestones = holding.map((m) => ({
    ...m,
    status: "refunded" as const,
    autoApproveAt: null,
  }));
  const total = agg.contract.escrowBalance;
  // milestoneId names the milestone only when the refund is exactly its money (R21).
  const only = holding.length === 1 && holding[0]!.fundedAmount === total ? holding[0]!.id : null;
  return {
    milestones,
    movements: total > 0 ? [{ kind: "refund", amount: total, milestoneId: only }] : [],
    events: milestones.map((m) => ({
      type: "milestone.refunded",
      data: { milestoneId: m.id, amount: m.fundedAmount },
    })),
  };
}
