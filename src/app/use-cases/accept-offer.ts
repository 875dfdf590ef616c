import type { Caller } from "../../domain/aggregate.js";
import { decideAccept } from "../../domain/contract-rules.js";
import type { CommandContext } from "../ports.js";
import { onContract } from "./load.js";

/** R8: the freelancer accepts the offer; the contract becomes active. */
export function acceptOffer(ctx: CommandContext, caller: Caller, contractId: string) {
  return onContract(ctx, contractId, (agg, dctx) => decideAccept(agg, caller, dctx));
}
