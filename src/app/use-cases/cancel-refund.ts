import type { Caller } from "../../domain/aggregate.js";
import { decideCancelRefund } from "../../domain/refund-rules.js";
import type { CommandContext } from "../ports.js";
import { onRefundRequest } from "./load.js";

/** R20: the client cancels a pending refund request; the money stays in escrow. */
export function cancelRefund(ctx: CommandContext, caller: Caller, refundRequestId: string) {
  return onRefundRequest(ctx, refundRequestId, (agg, request, dctx) =>
    decideCancelRefund(agg, caller, request, dctx),
  );
}
