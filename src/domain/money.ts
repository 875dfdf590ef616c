/**
 * Money is an integer count of the minor unit of a currency (R3). Never a float.
 */
export const MIN_AMOUNT_MINOR = 1;
/** 10^10 minor units: 100,000,000.00 of a two-decimal currency (R3). */
export const MAX_AMOUNT_MINOR = 10_000_000_000;

/** True when `value` is a whole number of minor units that R3 accepts for one milestone. */
export function isValidAmount(value: unknown): value is number {
  return (
    typeof value === "number" &&
    Number.isSafeInteger(value) &&
    value >= MIN_AMOUNT_MINOR &&
    value <= MAX_AMOUNT_MINOR
  );
}

/** Adds amounts and asserts the sum stays a safe integer: overflow is a programmer bug. */
export function sumAmounts(values: readonly number[]): number {
  let total = 0;
  for (const value of values) {
    total += value;
    if (!Number.isSafeInteger(total)) throw new Error("amount overflow");
  }
  return total;
}
