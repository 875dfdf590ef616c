import type { Caller } from "../../domain/aggregate.js";
import { decideCancelMilestone } from "../../domain/milestone-rules.js";
import type { CommandContext } from "../ports.js";
import { onMilestone } from "./load.js";

/** R10: the client cancels an unfunded milestone; it stays in the list as cancelled. */
export function cancelMilestone(ctx: CommandContext, caller: Caller, milestoneId: string) {
  return onMilestone(ctx, milestoneId, (agg, milestone) =>
    decideCancelMilestone(agg, caller, milestone),
  );
}
