import type { Caller } from "../../domain/aggregate.js";
import { decideEnd } from "../../domain/contract-rules.js";
import type { CommandContext } from "../ports.js";
import { onContract } from "./load.js";

/** R9: either party ends an active contract. */
export function endContract(ctx: CommandContext, caller: Caller, contractId: string, reason = "") {
  return onContract(ctx, contractId, (agg, dctx) => decideEnd(agg, caller, reason, dctx));
}
