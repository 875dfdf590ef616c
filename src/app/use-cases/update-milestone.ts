import type { Caller } from "../../domain/aggregate.js";
import { decideUpdateMilestone, type MilestoneEdit } from "../../domain/milestone-rules.js";
import type { CommandContext } from "../ports.js";
import { onMilestone } from "./load.js";

/** R10: the client edits an unfunded milestone's amount or description. */
export function updateMilestone(
  ctx: CommandContext,
  caller: Caller,
  milestoneId: string,
  edit: MilestoneEdit,
) {
  return onMilestone(ctx, milestoneId, (agg, milestone) =>
    decideUpdateMilestone(agg, caller, milestone, edit),
  );
}
