import type { Caller } from "../../domain/aggregate.js";
import { decideApproveMilestone } from "../../domain/milestone-rules.js";
import type { CommandContext } from "../ports.js";
import { onMilestone } from "./load.js";

/** R13, R15: the client releases a funded milestone, in full or a different amount. */
export function approveMilestone(
  ctx: CommandContext,
  caller: Caller,
  milestoneId: string,
  amount?: number,
) {
  return onMilestone(ctx, milestoneId, async (agg, milestone, dctx) =>
    decideApproveMilestone(
      agg,
      caller,
      milestone,
      await ctx.tx.findOpenSubmission(milestoneId),
      amount,
      dctx,
    ),
  );
}
