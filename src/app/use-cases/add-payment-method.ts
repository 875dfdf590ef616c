import { fail, ok, type Result } from "../../domain/result.js";
import type { CommandContext, PaymentMethod } from "../ports.js";

/** R5: a user adds a card through the provider's token; the newest card is the default. */
export async function addPaymentMethod(
  ctx: CommandContext,
  userId: string,
  token: string,
): Promise<Result<PaymentMethod>> {
  const card = await ctx.deps.payments.describeToken(token);
  if (!card) return fail("validation_failed", "token is not a valid payment token", "token");
  const method: PaymentMethod = {
    id: ctx.deps.ids.next("pm"),
    userId,
    provider: ctx.deps.payments.name,
    token,
    brand: card.brand,
    last4: card.last4,
    createdAt: ctx.now,
  };
  await ctx.tx.insertPaymentMethod(method);
  return ok(method);
}
