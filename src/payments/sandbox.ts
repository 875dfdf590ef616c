/**
 * The built-in sandbox payment provider (API.md): `tok_visa` charges succeed, and every charge
 * on `tok_chargeDeclined` is declined. References are derived from the idempotency key, so a
 * retried call answers with the same reference, as a real processor's idempotency does.
 */
import { createHash } from "node:crypto";
import type {
  CardDetails,
  ChargeRequest,
  PaymentProvider,
  ProviderResult,
  RefundToSourceRequest,
} from "../app/ports.js";

const CARDS: Record<string, CardDetails & { declines: boolean }> = {
  tok_visa: { brand: "visa", last4: "4242", declines: false },
  tok_mastercard: { brand: "mastercard", last4: "4444", declines: false },
  tok_chargeDeclined: { brand: "visa", last4: "0002", declines: true },
};

/** Only the tokens above: a name such as "constructor" is not a card (Object.prototype). */
function cardOf(token: string): (CardDetails & { declines: boolean }) | undefined {
  return Object.hasOwn(CARDS, token) ? CARDS[token] : undefined;
}

function reference(prefix: string, key: string): string {
  return `${prefix}_${createHash("sha256").update(key).digest("hex").slice(0, 24)}`;
}

export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = "sandbox";

  describeToken(token: string): Promise<CardDetails | null> {
    const card = cardOf(token);
    return Promise.resolve(card ? { brand: card.brand, last4: card.last4 } : null);
  }

  charge(request: ChargeRequest): Promise<ProviderResult> {
    const card = cardOf(request.paymentMethodToken);
    if (!card || card.declines) {
      return Promise.resolve({
        ok: false,
        declineCode: "card_declined",
        message: "your card was declined",
      });
    }
    return Promise.resolve({ ok: true, reference: reference("sbx_ch", request.idempotencyKey) });
  }

  refund(request: RefundToSourceRequest): Promise<ProviderResult> {
    // Refunds to a card are always accepted in the sandbox, declining cards included.
    return Promise.resolve({ ok: true, reference: reference("sbx_re", request.idempotencyKey) });
  }
}
