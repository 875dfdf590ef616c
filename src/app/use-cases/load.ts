/**
 * Loading helpers shared by the use cases: find the object, lock its contract, and answer
 * "not found" exactly as for an object that does not exist (R2).
 */
import type { ContractAggregate, DecideContext, Plan } from "../../domain/aggregate.js";
import { commitPlan } from "../commit-plan.js";
import { fail, ok, type Result } from "../../domain/result.js";
import type { Milestone, RefundRequest } from "../../domain/types.js";
import type { CommandContext } from "../ports.js";

export async function loadContract(
  ctx: CommandContext,
  contractId: string,
): Promise<Result<ContractAggregate>> {
  const agg = await ctx.tx.loadAggregate(contractId);
  return agg ? ok(agg) : fail("not_found", "contract not found");
}

export async function loadMilestone(
  ctx: CommandContext,
  milestoneId: string,
): Promise<Result<{ agg: ContractAggregate; milestone: Milestone }>> {
  // The milestone's contract, locked first, then its rows read under the lock: the fixed lock
  // order (contract, then its rows) avoids deadlocks between concurrent commands.
  const agg = await ctx.tx.loadAggregateOfMilestone(milestoneId);
  const milestone = agg?.milestones.find((m) => m.id === milestoneId);
  if (!agg || !milestone) return fail("not_found", "milestone not found");
  return ok({ agg, milestone });
}

export function decideContext(ctx: CommandContext): DecideContext {
  return { now: ctx.now, newId: (prefix) => ctx.deps.ids.next(prefix) };
}

/** Loads and locks a contract, decides, and commits: the shape of most commands. */
export async function onContract(
  ctx: CommandContext,
  contractId: string,
  decide: (agg: ContractAggregate, dctx: DecideContext) => Result<Plan> | Promise<Result<Plan>>,
): Promise<Result<Plan>> {
  const loaded = await loadContract(ctx, contractId);
  if (!loaded.ok) return loaded;
  return commitPlan(ctx, await decide(loaded.value, decideContext(ctx)));
}

/** The same for commands addressed to a milestone. */
export async function onMilestone(
  ctx: CommandContext,
  milestoneId: string,
  decide: (
    agg: ContractAggregate,
    milestone: Milestone,
    dctx: DecideContext,
  ) => Promise<Result<Plan>> | Result<Plan>,
): Promise<Result<Plan>> {
  const loaded = await loadMilestone(ctx, milestoneId);
  if (!loaded.ok) return loaded;
  const { agg, milestone } = loaded.value;
  return commitPlan(ctx, await decide(agg, milestone, decideContext(ctx)));
}

/** Commands addressed to a refund request: lock its contract, then read it again. */
export async function onRefundRequest(
  ctx: CommandContext,
  refundRequestId: string,
  decide: (agg: ContractAggregate, request: RefundRequest, dctx: DecideContext) => Result<Plan>,
): Promise<Result<Plan>> {
  const found = await ctx.tx.findRefundRequest(refundRequestId);
  if (!found) return fail("not_found", "refund request not found");
  return onContract(ctx, found.contractId, async (agg, dctx) => {
    // Read again under the contract lock: the first read may predate a concurrent answer.
    const current = (await ctx.tx.findRefundRequest(refundRequestId)) ?? found;
    return decide(agg, current, dctx);
  });
}
