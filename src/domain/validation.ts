/**
 * Input checks that belong to the rules, so every adapter (HTTP, CLI, tests) gets the same
 * answer. The HTTP schemas check shapes first; these check meaning.
 */
import { isCurrency } from "./currencies.js";
import { isValidAmount, MAX_AMOUNT_MINOR } from "./money.js";
import { fail, type Failure } from "./result.js";

export const LIMITS = {
  title: 200,
  description: 10_000,
  message: 10_000,
  reason: 5_000,
  links: 20,
  link: 2_000,
  milestones: 100,
} as const;

export function checkAmount(value: unknown, field: string): Failure | null {
  return isValidAmount(value)
    ? null
    : fail(
        "validation_failed",
        `${field} must be a whole number from 1 to ${MAX_AMOUNT_MINOR} minor units`,
        field,
      );
}

export function checkCurrency(value: string, field = "currency"): Failure | null {
  return isCurrency(value)
    ? null
    : fail("validation_failed", `${field} must be an upper-case ISO 4217 currency code`, field);
}

export function checkText(
  value: string,
  field: string,
  max: number,
  required: boolean,
): Failure | null {
  if (required && value.trim().length === 0) {
    return fail("validation_failed", `${field} must not be empty`, field);
  }
  if (value.length > max) {
    return fail("validation_failed", `${field} must be at most ${max} characters`, field);
  }
  return null;
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date written `YYYY-MM-DD`. */
export function isCalendarDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

export function checkDueDate(value: string | null | undefined, field: string): Failure | null {
  if (value === null || value === undefined) return null;
  return isCalendarDate(value)
    ? null
    : fail("validation_failed", `${field} must be a calendar date YYYY-MM-DD`, field);
}

export function checkLinks(links: readonly string[] | undefined, field: string): Failure | null {
  if (links === undefined) return null;
  if (links.length > LIMITS.links) {
    return fail("validation_failed", `${field} may hold at most ${LIMITS.links} links`, field);
  }
  for (const [index, link] of links.entries()) {
    const at = `${field}[${index}]`;
    if (link.length > LIMITS.link || !/^https?:\/\/\S+$/.test(link)) {
      return fail(
        "validation_failed",
        `${at} must be an http(s) URL of at most ${LIMITS.link} characters`,
        at,
      );
    }
  }
  return null;
}

/** The first failure of a list of checks, or null. */
export function firstFailure(...checks: (Failure | null)[]): Failure | null {
  return checks.find((check) => check !== null) ?? null;
}
