/**
 * The last step of every command: settle with the payment provider what the plan moves in or out
 * of the system, then write the plan. A declined charge returns a failure before anything is
 * written, so it leaves no trace (R5, R7).
 */
import type { Plan } from "../domain/aggregate.js";
import { fail, ok, type Result } from "../domain/result.js";
import type { CommandContext } from "./ports.js";

function refundedToClient(plan: Plan): number {
  return plan.movements
    .filter((m) => m.kind === "refund" || m.kind === "dispute_refund")
    .reduce((total, m) => total + m.amount, 0);
}

async function settleWithProvider(ctx: CommandContext, plan: Plan): Promise<Result<string | null>> {
  const refund = refundedToClient(plan);
  if (plan.charge === 0 && refund === 0) return ok(null);
  const method = await ctx.tx.findDefaultPaymentMethod(plan.contract.clientId);
  if (!method) {
    return fail("payment_method_required", "add a payment method before moving money");
  }
  const request = {
    paymentMethodToken: method.token,
    currency: plan.contract.currency,
    idempotencyKey: ctx.commandKey,
  };
  const answer =
    plan.charge > 0
      ? await ctx.deps.payments.charge({ ...request, amount: plan.charge })
      : await ctx.deps.payments.refund({ ...request, amount: refund });
  if (!answer.ok) return fail("payment_failed", `the payment was declined: ${answer.message}`);
  return ok(answer.reference);
}

/** Settles and writes `decided`; returns the plan's contract id or the failure. */
export async function commitPlan(
  ctx: CommandContext,
  decided: Result<Plan>,
): Promise<Result<Plan>> {
  if (!decided.ok) return decided;
  const plan = decided.value;
  const settled = await settleWithProvider(ctx, plan);
  if (!settled.ok) return settled;
  await ctx.tx.applyPlan(plan, {
    now: ctx.now,
    journalEntryId: ctx.deps.ids.next("je"),
    providerReference: settled.value,
    newEventId: () => ctx.deps.ids.next("evt"),
  });
  return ok(plan);
}
