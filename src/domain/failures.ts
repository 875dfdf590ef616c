/**
 * The catalogue of business failure codes. Stable: clients match on them. The HTTP layer maps
 * each to a status code in one place (src/http/errors.ts).
 */
export const FAILURE_CODES = [
  "validation_failed",
  "unauthenticated",
  "forbidden",
  "not_found",
  "invalid_state",
  "payment_failed",
  "payment_method_required",
  "idempotency_key_reused",
  "email_taken",
  "rate_limited",
] as const;

export type FailureCode = (typeof FAILURE_CODES)[number];
