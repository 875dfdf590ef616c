import type { Caller } from "../../domain/aggregate.js";
import { decideApproveRefund } from "../../domain/refund-rules.js";
import type { CommandContext } from "../ports.js";
import { onRefundRequest } from "./load.js";

/** R18: the freelancer approves; the escrow goes back to the client. */
export function approveRefund(ctx: CommandContext, caller: Caller, refundRequestId: string) {
  return onRefundRequest(ctx, refundRequestId, (agg, request, dctx) =>
    decideApproveRefund(agg, caller, request, dctx),
  );
}
