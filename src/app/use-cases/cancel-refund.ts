import type { Caller } from "../../domain/aggregate.js";
import { decideCancelRefund } from "../../domain/refund-rules.js";
import type { Submission } from "../../domain/types.js";
import type { CommandContext } from "../ports.js";
import { onRefundRequest } from "./load.js";

/**
 * R20: the client cancels a pending refund request; the money stays in escrow. A review window
 * that ended meanwhile approves at once, so the open submissions are read (under the contract
 * lock) for the decision to answer them.
 */
export async function cancelRefund(ctx: CommandContext, caller: Caller, refundRequestId: string) {
  const found = await ctx.tx.findRefundRequest(refundRequestId);
  const locked = found && (await ctx.tx.loadAggregate(found.contractId));
  const open: Submission[] = [];
  for (const m of locked?.milestones ?? []) {
    const submission = m.status === "submitted" ? await ctx.tx.findOpenSubmission(m.id) : null;
    if (submission) open.push(submission);
  }
  return onRefundRequest(ctx, refundRequestId, (agg, request, dctx) =>
    decideCancelRefund(agg, caller, request, dctx, open),
  );
}
