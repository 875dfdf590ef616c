import type { Caller } from "../../domain/aggregate.js";
import { decideRequestChanges } from "../../domain/milestone-rules.js";
import type { CommandContext } from "../ports.js";
import { onMilestone } from "./load.js";

/** R13: the client sends the submission back with a message; its clock stops. */
export function requestChanges(
  ctx: CommandContext,
  caller: Caller,
  milestoneId: string,
  message: string,
) {
  return onMilestone(ctx, milestoneId, async (agg, milestone, dctx) =>
    decideRequestChanges(
      agg,
      caller,
      milestone,
      await ctx.tx.findOpenSubmission(milestoneId),
      message,
      dctx,
    ),
  );
}
