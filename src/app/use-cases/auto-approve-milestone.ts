import { decideAutoApproveMilestone } from "../../domain/milestone-rules.js";
import type { CommandContext } from "../ports.js";
import { onMilestone } from "./load.js";

/**
 * R14, R23: the timed rule. Re-checks inside the transaction that the submission is still
 * unanswered and due, so a client's approval that won the race makes this a no-op failure.
 */
export function autoApproveMilestone(ctx: CommandContext, milestoneId: string) {
  return onMilestone(ctx, milestoneId, async (agg, milestone, dctx) =>
    decideAutoApproveMilestone(agg, milestone, await ctx.tx.findOpenSubmission(milestoneId), dctx),
  );
}
