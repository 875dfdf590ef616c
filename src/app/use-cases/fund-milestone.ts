import type { Caller } from "../../domain/aggregate.js";
import { decideFundMilestone } from "../../domain/milestone-rules.js";
import type { CommandContext } from "../ports.js";
import { onMilestone } from "./load.js";

/** R11: the client funds the next milestone, from unallocated escrow first. */
export function fundMilestone(ctx: CommandContext, caller: Caller, milestoneId: string) {
  return onMilestone(ctx, milestoneId, (agg, milestone) =>
    decideFundMilestone(agg, caller, milestone),
  );
}
