/**
 * Offers and contracts (R6-R9): make, accept, decline, withdraw, end.
 */
import {
  authorize,
  refundEverything,
  makePlan,
  userActor,
  type Caller,
  type ContractAggregate,
  type DecideContext,
  type Plan,
} from "./aggregate.js";
import { allows, CONTRACT_TRANSITIONS, type ContractCommand } from "./machines.js";
import { fail, ok, type Result } from "./result.js";
import type { Contract, Milestone } from "./types.js";
import {
  checkAmount,
  checkCurrency,
  checkDueDate,
  checkText,
  firstFailure,
  LIMITS,
} from "./validation.js";

export interface OfferMilestoneInput {
  readonly title: string;
  readonly description?: string | undefined;
  readonly amount: number;
  readonly dueDate?: string | null | undefined;
}

export interface OfferInput {
  readonly clientId: string;
  readonly freelancerId: string;
  readonly title: string;
  readonly description?: string | undefined;
  readonly currency: string;
  readonly milestones: readonly OfferMilestoneInput[];
  readonly reviewWindowDays: number;
  readonly refundWindowDays: number;
}

function checkOfferMilestone(m: OfferMilestoneInput, index: number) {
  const at = `milestones[${index}]`;
  return firstFailure(
    checkText(m.title, `${at}.title`, LIMITS.title, true),
    checkText(m.description ?? "", `${at}.description`, LIMITS.description, false),
    checkAmount(m.amount, `${at}.amount`),
    checkDueDate(m.dueDate, `${at}.dueDate`),
  );
}

export function checkOffer(input: OfferInput) {
  if (input.milestones.length === 0) {
    return fail("validation_failed", "an offer needs at least one milestone", "milestones");
  }
  if (input.milestones.length > LIMITS.milestones) {
    return fail(
      "validation_failed",
      `an offer may have at most ${LIMITS.milestones} milestones`,
      "milestones",
    );
  }
  return firstFailure(
    checkText(input.title, "title", LIMITS.title, true),
    checkText(input.description ?? "", "description", LIMITS.description, false),
    checkCurrency(input.currency),
    ...input.milestones.map(checkOfferMilestone),
  );
}

/** R6, R7: a new offer whose first milestone is funded by a charge. */
export function decideOffer(input: OfferInput, ctx: DecideContext): Result<Plan> {
  if (input.clientId === input.freelancerId) {
    return fail("validation_failed", "you cannot make an offer to yourself", "freelancerEmail");
  }
  const invalid = checkOffer(input);
  if (invalid) return invalid;
  const contract: Contract = {
    id: ctx.newId("ctr"),
    clientId: input.clientId,
    freelancerId: input.freelancerId,
    title: input.title,
    description: input.description ?? "",
    currency: input.currency,
    status: "offered",
    reviewWindowDays: input.reviewWindowDays,
    refundWindowDays: input.refundWindowDays,
    escrowBalance: 0,
    endedBy: null,
    createdAt: ctx.now,
    acceptedAt: null,
    endedAt: null,
  };
  const milestones: Milestone[] = input.milestones.map((m, index) => ({
    id: ctx.newId("ms"),
    contractId: contract.id,
    position: index + 1,
    title: m.title,
    description: m.description ?? "",
    amount: m.amount,
    dueDate: m.dueDate ?? null,
    status: index === 0 ? "funded" : "pending",
    fundedAmount: index === 0 ? m.amount : 0,
    releasedAmount: 0,
    submittedAt: null,
    autoApproveAt: null,
    createdAt: ctx.now,
  }));
  const first = milestones[0]!;
  const empty: ContractAggregate = { contract, milestones: [], openRefundRequest: null };
  const plan = makePlan(
    empty,
    { kind: "user", userId: input.clientId },
    {
      milestones,
      charge: first.amount,
      movements: [{ kind: "deposit", amount: first.amount, milestoneId: first.id }],
      ledgerCause: `fund:${first.id}`,
      events: [
        {
          type: "contract.offered",
          data: { title: contract.title, milestoneCount: milestones.length },
        },
        {
          type: "milestone.funded",
          data: {
            milestoneId: first.id,
            amount: first.amount,
            charged: first.amount,
            fromUnallocated: 0,
          },
        },
      ],
    },
  );
  return ok({ ...plan, contractChanged: true });
}

function checkContractCommand(agg: ContractAggregate, command: ContractCommand) {
  const { status } = agg.contract;
  return allows(CONTRACT_TRANSITIONS[command], status)
    ? null
    : fail("invalid_state", `cannot ${command} a contract that is ${status}`);
}

function cancelUnfunded(milestones: readonly Milestone[]): Milestone[] {
  return milestones
    .filter((m) => m.status === "pending")
    .map((m) => ({ ...m, status: "cancelled" as const }));
}

export function decideAccept(
  agg: ContractAggregate,
  caller: Caller,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "freelancer", "contract") ??
    checkContractCommand(agg, "accept");
  if (refused) return refused;
  return ok(
    makePlan(agg, userActor(caller), {
      contract: { ...agg.contract, status: "active", acceptedAt: ctx.now },
      events: [{ type: "contract.accepted", data: {} }],
    }),
  );
}

/** R8: a declined or withdrawn offer returns its escrow at once. */
function closeOffer(
  agg: ContractAggregate,
  caller: Caller,
  command: "decline" | "withdraw",
  ctx: DecideContext,
): Result<Plan> {
  const role = command === "decline" ? "freelancer" : "client";
  const refused =
    authorize(agg.contract, caller, role, "contract") ?? checkContractCommand(agg, command);
  if (refused) return refused;
  const refund = refundEverything(agg);
  const status = command === "decline" ? "declined" : "withdrawn";
  return ok(
    makePlan(agg, userActor(caller), {
      contract: { ...agg.contract, status, endedAt: ctx.now },
      milestones: [...refund.milestones, ...cancelUnfunded(agg.milestones)],
      movements: refund.movements,
      ledgerCause: `close:${agg.contract.id}`,
      events: [{ type: `contract.${status}`, data: {} }, ...refund.events],
    }),
  );
}

export function decideDecline(agg: ContractAggregate, caller: Caller, ctx: DecideContext) {
  return closeOffer(agg, caller, "decline", ctx);
}

export function decideWithdraw(agg: ContractAggregate, caller: Caller, ctx: DecideContext) {
  return closeOffer(agg, caller, "withdraw", ctx);
}

/**
 * R9: ending cancels unfunded milestones. The client's escrow stays; the freelancer gives it up
 * at once, and may not end while a submission of theirs awaits review.
 */
export function decideEnd(
  agg: ContractAggregate,
  caller: Caller,
  reason: string,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "party", "contract") ??
    checkText(reason, "reason", LIMITS.reason, false) ??
    checkContractCommand(agg, "end");
  if (refused) return refused;
  const endedBy = caller.userId === agg.contract.clientId ? "client" : "freelancer";
  if (endedBy === "freelancer" && agg.milestones.some((m) => m.status === "submitted")) {
    return fail("invalid_state", "you cannot end the contract while your submission awaits review");
  }
  const refund =
    endedBy === "freelancer"
      ? refundEverything(agg)
      : { milestones: [], movements: [], events: [] };
  const cancelled = cancelUnfunded(agg.milestones);
  return ok(
    makePlan(agg, userActor(caller), {
      contract: { ...agg.contract, status: "ended", endedBy, endedAt: ctx.now },
      milestones: [...refund.milestones, ...cancelled],
      movements: refund.movements,
      ledgerCause: `close:${agg.contract.id}`,
      events: [
        {
          type: "contract.ended",
          data: { endedBy, reason, cancelledMilestoneIds: cancelled.map((m) => m.id) },
        },
        ...refund.events,
      ],
    }),
  );
}
