import type { Caller } from "../../domain/aggregate.js";
import { decideDecline } from "../../domain/contract-rules.js";
import type { CommandContext } from "../ports.js";
import { onContract } from "./load.js";

/** R8: the freelancer declines; the escrow goes back to the client at once. */
export function declineOffer(ctx: CommandContext, caller: Caller, contractId: string) {
  return onContract(ctx, contractId, (agg, dctx) => decideDecline(agg, caller, dctx));
}
