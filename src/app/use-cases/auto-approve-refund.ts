import { decideAutoApproveRefund } from "../../domain/refund-rules.js";
import type { CommandContext } from "../ports.js";
import { onRefundRequest } from "./load.js";

/** R18, R23: the timed rule: no answer within the response window approves the refund. */
export function autoApproveRefund(ctx: CommandContext, refundRequestId: string) {
  return onRefundRequest(ctx, refundRequestId, (agg, request, dctx) =>
    decideAutoApproveRefund(agg, request, dctx),
  );
}
