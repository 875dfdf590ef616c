import type { Caller } from "../../domain/aggregate.js";
import { decideRequestRefund } from "../../domain/refund-rules.js";
import type { CommandContext } from "../ports.js";
import { onContract } from "./load.js";

/** R17: after the contract has ended, the client asks for the escrow back. */
export function requestRefund(
  ctx: CommandContext,
  caller: Caller,
  contractId: string,
  reason = "",
) {
  return onContract(ctx, contractId, (agg, dctx) => decideRequestRefund(agg, caller, reason, dctx));
}
