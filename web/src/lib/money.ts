/**
 * Money on the wire is an integer in the currency's minor unit (R3). The user types major units
 * ("1,250.50"); we convert with string arithmetic, never through floating point.
 */

/** ISO 4217 exponents for the currencies offered in forms, and ones Intl may disagree on. */
const EXPONENTS: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  CHF: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  INR: 2,
  BRL: 2,
  MXN: 2,
  SGD: 2,
  HKD: 2,
  ZAR: 2,
  HUF: 2,
  IDR: 2,
  TWD: 2,
  JPY: 0,
  KRW: 0,
  CLP: 0,
  ISK: 0,
  VND: 0,
  UGX: 0,
  XOF: 0,
  KWD: 3,
  BHD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
  IQD: 3,
  LYD: 3,
};

/** The currencies the offer form lets a client choose. */
export const OFFER_CURRENCIES = [
  "USD",
  "EUR",
  "GBP",
  "CAD",
  "AUD",
  "CHF",
  "INR",
  "JPY",
  "KRW",
  "KWD",
  "BHD",
] as const;

/** Number of decimal places of the currency's minor unit (2 for USD, 0 for JPY, 3 for KWD). */
export function currencyExponent(currency: string): number {
  const known = EXPONENTS[currency];
  if (known !== undefined) return known;
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits!;
  } catch {
    return 2;
  }
}

export type Parsed = { ok: true; minor: number } | { ok: false; message: string };

/** Largest amount a milestone or release may have, in minor units (R3). */
export const MAX_MINOR = 10_000_000_000;

/**
 * "1,234.5" USD -> 123450. Accepts digits with an optional decimal point and thousands
 * separators (commas, spaces, underscores); refuses more decimals than the currency has.
 */
export function toMinorUnits(input: string, currency: string): Parsed {
  const exponent = currencyExponent(currency);
  const text = input.trim().replace(/[,\s_]/g, "");
  if (text === "") return { ok: false, message: "Enter an amount" };
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[1] === "" && (match[2] ?? "") === "")) {
    return { ok: false, message: "Enter a number, like 1250.50" };
  }
  const whole = match[1] || "0";
  const fraction = match[2] ?? "";
  if (fraction.length > exponent) {
    return {
      ok: false,
      message:
        exponent === 0
          ? `${currency} has no decimal places`
          : `${currency} allows at most ${exponent} decimal place${exponent === 1 ? "" : "s"}`,
    };
  }
  const minor =
    BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, "0") || "0");
  if (minor > BigInt(MAX_MINOR)) return { ok: false, message: "That amount is too large" };
  return { ok: true, minor: Number(minor) };
}

/** 123450 USD -> "1234.50": exact decimal text of a minor amount, for inputs and Intl. */
export function toMajorString(minor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = minor < 0;
  const digits = String(Math.abs(Math.trunc(minor))).padStart(exponent + 1, "0");
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? "-" : ""}${whole}${exponent > 0 ? `.${fraction}` : ""}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

/** 123450 USD -> "$1,234.50" in the user's locale, with the currency's own decimals. */
export function formatMoney(minor: number, currency: string, options: { signed?: boolean } = {}) {
  const exponent = currencyExponent(currency);
  const key = `${currency}:${options.signed ? "s" : ""}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(undefined, {
      style: "currency",
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
      signDisplay: options.signed ? "exceptZero" : "auto",
    });
    formatters.set(key, formatter);
  }
  // A decimal string keeps exactness: Intl formats numeric strings without a float round trip.
  return formatter.format(toMajorString(minor, currency) as Intl.StringNumericLiteral);
}
