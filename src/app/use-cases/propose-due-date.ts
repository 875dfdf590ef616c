import type { Caller } from "../../domain/aggregate.js";
import { decideProposeDueDate } from "../../domain/milestone-rules.js";
import type { CommandContext } from "../ports.js";
import { onMilestone } from "./load.js";

/** R16: a party proposes a new due date for a milestone. */
export function proposeDueDate(
  ctx: CommandContext,
  caller: Caller,
  milestoneId: string,
  dueDate: string,
) {
  return onMilestone(ctx, milestoneId, async (agg, milestone, dctx) =>
    decideProposeDueDate(
      agg,
      caller,
      milestone,
      await ctx.tx.findPendingDueDateChange(milestoneId),
      dueDate,
      dctx,
    ),
  );
}
