import type { Caller } from "../../domain/aggregate.js";
import { decideAnswerDueDate } from "../../domain/milestone-rules.js";
import { fail } from "../../domain/result.js";
import type { CommandContext } from "../ports.js";
import { onMilestone } from "./load.js";

/** R16: the other party accepts or declines a proposed due date. */
export async function answerDueDate(
  ctx: CommandContext,
  caller: Caller,
  dueDateChangeId: string,
  answer: "accept" | "decline",
) {
  const proposal = await ctx.tx.findDueDateChange(dueDateChangeId);
  if (!proposal) return fail("not_found", "due date change not found");
  return onMilestone(ctx, proposal.milestoneId, async (agg, milestone, dctx) => {
    const current = (await ctx.tx.findDueDateChange(dueDateChangeId)) ?? proposal;
    return decideAnswerDueDate(agg, caller, milestone, current, answer, dctx);
  });
}
