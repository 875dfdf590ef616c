import type { Caller } from "../../domain/aggregate.js";
import { decideSubmitWork, type SubmitInput } from "../../domain/milestone-rules.js";
import type { CommandContext } from "../ports.js";
import { onMilestone } from "./load.js";

/** R12, R14: the freelancer submits work; the review window starts. */
export function submitWork(
  ctx: CommandContext,
  caller: Caller,
  milestoneId: string,
  input: SubmitInput,
) {
  return onMilestone(ctx, milestoneId, (agg, milestone, dctx) =>
    decideSubmitWork(agg, caller, milestone, input, dctx),
  );
}
