import type { Caller } from "../../domain/aggregate.js";
import { decideOffer, type OfferMilestoneInput } from "../../domain/contract-rules.js";
import { fail, ok, type Result } from "../../domain/result.js";
import { commitPlan } from "../commit-plan.js";
import type { CommandContext } from "../ports.js";

export interface MakeOfferInput {
  readonly freelancerEmail: string;
  readonly title: string;
  readonly description?: string | undefined;
  readonly currency: string;
  readonly milestones: readonly OfferMilestoneInput[];
}

/** R6, R7: a client offers a contract; the first milestone is charged into escrow. */
export async function makeOffer(
  ctx: CommandContext,
  caller: Caller,
  input: MakeOfferInput,
): Promise<Result<{ contractId: string }>> {
  const freelancer = await ctx.tx.findUserByEmail(input.freelancerEmail.trim().toLowerCase());
  if (!freelancer) {
    return fail(
      "validation_failed",
      "freelancerEmail must be the email of a signed-up user",
      "freelancerEmail",
    );
  }
  const decided = decideOffer(
    {
      ...input,
      clientId: caller.userId,
      freelancerId: freelancer.id,
      reviewWindowDays: ctx.deps.settings.reviewWindowDays,
      refundWindowDays: ctx.deps.settings.refundWindowDays,
    },
    { now: ctx.now, newId: (prefix) => ctx.deps.ids.next(prefix) },
  );
  const committed = await commitPlan(ctx, decided);
  return committed.ok ? ok({ contractId: committed.value.contract.id }) : committed;
}
