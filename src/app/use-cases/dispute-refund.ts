import type { Caller } from "../../domain/aggregate.js";
import { decideDisputeRefund } from "../../domain/refund-rules.js";
import type { CommandContext } from "../ports.js";
import { onRefundRequest } from "./load.js";

/** R18, R19: the freelancer disputes the refund; staff will decide. */
export function disputeRefund(
  ctx: CommandContext,
  caller: Caller,
  refundRequestId: string,
  reason: string,
) {
  return onRefundRequest(ctx, refundRequestId, (agg, request, dctx) =>
    decideDisputeRefund(agg, caller, request, reason, dctx),
  );
}
