import type { Caller } from "../../domain/aggregate.js";
import { decideAddMilestone, type NewMilestoneInput } from "../../domain/milestone-rules.js";
import type { CommandContext } from "../ports.js";
import { onContract } from "./load.js";

/** R10: the client appends a milestone to an active contract. */
export function addMilestone(
  ctx: CommandContext,
  caller: Caller,
  contractId: string,
  input: NewMilestoneInput,
) {
  return onContract(ctx, contractId, (agg, dctx) => decideAddMilestone(agg, caller, input, dctx));
}
