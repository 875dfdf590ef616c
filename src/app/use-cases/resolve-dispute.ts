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
  return onContract(ctx, found.contractId, async (agg, dctx) => {
    // Read both again under the contract lock: the first reads may predate a concurrent
    // resolution by another staff member.
    const dispute = (await ctx.tx.findDispute(disputeId)) ?? found;
    const current = (await ctx.tx.findRefundRequest(found.refundRequestId)) ?? request;
    return decideResolveDispute(agg, caller, dispute, current, split, dctx);
  });
}
