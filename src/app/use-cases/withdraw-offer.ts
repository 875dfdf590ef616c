import type { Caller } from "../../domain/aggregate.js";
import { decideWithdraw } from "../../domain/contract-rules.js";
import type { CommandContext } from "../ports.js";
import { onContract } from "./load.js";

/** R8: the client withdraws an unanswered offer; the escrow goes back at once. */
export function withdrawOffer(ctx: CommandContext, caller: Caller, contractId: string) {
  return onContract(ctx, contractId, (agg, dctx) => decideWithdraw(agg, caller, dctx));
}
