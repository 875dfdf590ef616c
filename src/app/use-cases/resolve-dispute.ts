import type { Caller } from "../../domain/aggregate.js";
import { decideResolveDispute, type Split } from "../../domain/refund-rules.js";
import { fail } from "../../domain/result.js";
import type { CommandContext } from "../ports.js";
import { onContract } from "./load.js";

/** R19: staff split the disputed amount between refund and release. */
export async function resolveDispute(
  ctx: CommandContext,
  caller: Caller,
  disputeId: string,
  split: Split,
) {
  const found = await ctx.tx.findDispute(disputeId);
  const request = found && (await ctx.tx.findRefundRequest(found.refundRequestId));
  if (!found || !request) return fail("not_found", "dispute not found");
  return onContract(ctx, found.contractId, (agg, dctx) => {
    // Read under the contract lock: the open request is current. A request that is no longer
    // open is in a final state, so the earlier read of it cannot be stale.
    const current = agg.openRefundRequest?.id === request.id ? agg.openRefundRequest : request;
    const dispute =
      current.status === "disputed" ? found : { ...found, status: "resolved" as const };
    return decideResolveDispute(agg, caller, dispute, current, split, dctx);
  });
}
