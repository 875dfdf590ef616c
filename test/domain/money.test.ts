/**
 * Money (R3), currencies (R3, API validation), calendar dates and overdue milestones (R16).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isOverdue } from "../../src/domain/aggregate.js";
import { decideOffer } from "../../src/domain/contract-rules.js";
import { CURRENCY_CODES, currencyExponent, isCurrency } from "../../src/domain/currencies.js";
import {
  isValidAmount,
  MAX_AMOUNT_MINOR,
  MIN_AMOUNT_MINOR,
  sumAmounts,
} from "../../src/domain/money.js";
import {
  checkAmount,
  checkCurrency,
  checkDueDate,
  isCalendarDate,
} from "../../src/domain/validation.js";
import type { MilestoneStatus } from "../../src/domain/types.js";
import { CLIENT, context, expectFailure, FREELANCER, makeMilestone, planOf } from "./fixtures.js";

const TEN_BILLION = 10_000_000_000;

describe("amounts", () => {
  it("R3: the bounds are 1 and 10^10 minor units", () => {
    expect(MIN_AMOUNT_MINOR).toBe(1);
    expect(MAX_AMOUNT_MINOR).toBe(TEN_BILLION);
  });

  it.each([
    [0, false],
    [1, true],
    [2, true],
    [TEN_BILLION - 1, true],
    [TEN_BILLION, true],
    [TEN_BILLION + 1, false],
    [-1, false],
    [0.5, false],
    [1.5, false],
    [99.99, false],
    [Number.NaN, false],
    [Number.POSITIVE_INFINITY, false],
    [Number.MAX_SAFE_INTEGER, false],
    [Number.MAX_SAFE_INTEGER + 1, false],
    [2 ** 60, false],
  ])("R3: the amount %s is valid: %s", (amount, valid) => {
    expect(isValidAmount(amount)).toBe(valid);
    const failure = checkAmount(amount, "milestones[0].amount");
    if (valid) expect(failure).toBeNull();
    else
      expect(failure).toMatchObject({ code: "validation_failed", field: "milestones[0].amount" });
  });

  it.each([["100"], [null], [undefined], [100n], [{}]])(
    "R3: a non-number amount (%s) is refused",
    (value) => {
      expect(isValidAmount(value)).toBe(false);
      expect(checkAmount(value, "amount")?.code).toBe("validation_failed");
    },
  );

  it("R3: every integer from 1 to 10^10 is valid, every one outside is not", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: TEN_BILLION }), (amount) => {
        expect(isValidAmount(amount)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: Number.MIN_SAFE_INTEGER, max: 0 }),
          fc.integer({ min: TEN_BILLION + 1, max: Number.MAX_SAFE_INTEGER }),
        ),
        (amount) => {
          expect(isValidAmount(amount)).toBe(false);
        },
      ),
    );
  });

  it("R3: no fractional amount is valid (never floats)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e11, max: 1e11, noNaN: true }).filter((x) => !Number.isInteger(x)),
        (amount) => {
          expect(isValidAmount(amount)).toBe(false);
        },
      ),
    );
  });

  it("R3, R4: summing amounts beyond the safe integer range throws instead of losing cents", () => {
    expect(sumAmounts([1, 2, 3])).toBe(6);
    expect(sumAmounts([])).toBe(0);
    expect(() => sumAmounts([Number.MAX_SAFE_INTEGER, 1])).toThrow(/overflow/);
  });
});

describe("currencies", () => {
  it.each([
    ["USD", 2],
    ["EUR", 2],
    ["JPY", 0],
    ["KWD", 3],
    ["BHD", 3],
    ["UYW", 4],
  ])("R3: %s has ISO 4217 exponent %i", (code, exponent) => {
    expect(isCurrency(code)).toBe(true);
    expect(currencyExponent(code)).toBe(exponent);
    expect(checkCurrency(code)).toBeNull();
  });

  it.each(["usd", "Usd", "jpy", "ABC", "XXX", "XAU", "XTS", "US", "USDD", "", " USD"])(
    "R3: %j is not an accepted currency code",
    (code) => {
      expect(isCurrency(code)).toBe(false);
      expect(checkCurrency(code)).toMatchObject({ code: "validation_failed", field: "currency" });
      expect(() => currencyExponent(code)).toThrow(/unknown currency/);
    },
  );

  it("R3: inherited object keys are not currencies", () => {
    expect(isCurrency("constructor")).toBe(false);
    expect(isCurrency("toString")).toBe(false);
  });

  it("R3: every listed code is three upper-case letters with an ISO 4217 exponent from 0 to 4", () => {
    expect(CURRENCY_CODES.length).toBeGreaterThan(100);
    for (const code of CURRENCY_CODES) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(currencyExponent(code));
    }
  });

  it("R3, R6: an offer in a lowercase currency is refused with field currency", () => {
    const result = decideOffer(
      {
        clientId: CLIENT.userId,
        freelancerId: FREELANCER.userId,
        title: "Website",
        currency: "usd",
        milestones: [{ title: "Design", amount: 1_000 }],
        reviewWindowDays: 14,
        refundWindowDays: 7,
      },
      context(),
    );
    expectFailure(result, "validation_failed", "currency");
  });

  it("R3, R6: an offer's milestone amount out of bounds names its field", () => {
    const offer = (amount: number) =>
      decideOffer(
        {
          clientId: CLIENT.userId,
          freelancerId: FREELANCER.userId,
          title: "Website",
          currency: "JPY",
          milestones: [
            { title: "Design", amount: 1_000 },
            { title: "Build", amount },
          ],
          reviewWindowDays: 14,
          refundWindowDays: 7,
        },
        context(),
      );
    expectFailure(offer(TEN_BILLION + 1), "validation_failed", "milestones[1].amount");
    expectFailure(offer(0), "validation_failed", "milestones[1].amount");
    expectFailure(offer(12.5), "validation_failed", "milestones[1].amount");
    expect(planOf(offer(TEN_BILLION)).milestones[1]?.amount).toBe(TEN_BILLION);
  });
});

describe("calendar dates", () => {
  it.each([
    ["2026-02-29", false],
    ["2028-02-29", true],
    ["2000-02-29", true],
    ["1900-02-29", false],
    ["2026-02-28", true],
    ["2026-04-31", false],
    ["2026-12-31", true],
    ["2026-13-01", false],
    ["2026-00-10", false],
    ["2026-01-00", false],
    ["2026-1-01", false],
    ["2026-01-1", false],
    ["26-01-01", false],
    ["2026/01/01", false],
    ["2026-01-01T00:00:00Z", false],
    [" 2026-01-01", false],
    ["", false],
  ])("R16: %j is a calendar date: %s", (value, valid) => {
    expect(isCalendarDate(value)).toBe(valid);
    const failure = checkDueDate(value, "dueDate");
    if (valid) expect(failure).toBeNull();
    else expect(failure).toMatchObject({ code: "validation_failed", field: "dueDate" });
  });

  it("R16: no due date is fine", () => {
    expect(checkDueDate(null, "dueDate")).toBeNull();
    expect(checkDueDate(undefined, "dueDate")).toBeNull();
  });

  it("R16: every real day from year 1000 to 9999 is a calendar date", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1000-01-01T00:00:00Z"),
          max: new Date("9999-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        (date) => {
          expect(isCalendarDate(date.toISOString().slice(0, 10))).toBe(true);
        },
      ),
    );
  });
});

describe("overdue (R16)", () => {
  const due = "2026-03-10";
  const endOfDueDay = Date.parse("2026-03-11T00:00:00.000Z");
  const OPEN: readonly MilestoneStatus[] = ["pending", "funded", "submitted", "changes_requested"];
  const DONE: readonly MilestoneStatus[] = ["paid", "refunded", "cancelled"];

  it.each(OPEN)("R16: a %s milestone is overdue only once the UTC due day has ended", (status) => {
    const milestone = makeMilestone(1, status, { dueDate: due });
    expect(isOverdue(milestone, Date.parse("2026-03-09T12:00:00.000Z"))).toBe(false);
    expect(isOverdue(milestone, Date.parse("2026-03-10T00:00:00.000Z"))).toBe(false);
    expect(isOverdue(milestone, endOfDueDay - 1)).toBe(false);
    expect(isOverdue(milestone, endOfDueDay)).toBe(true);
    expect(isOverdue(milestone, endOfDueDay + 365 * 86_400_000)).toBe(true);
  });

  it.each(DONE)("R16: a %s milestone is never overdue", (status) => {
    const milestone = makeMilestone(1, status, { dueDate: due });
    expect(isOverdue(milestone, endOfDueDay)).toBe(false);
    expect(isOverdue(milestone, endOfDueDay + 365 * 86_400_000)).toBe(false);
  });

  it("R16: a milestone without a due date is never overdue", () => {
    expect(isOverdue(makeMilestone(1, "funded", { dueDate: null }), endOfDueDay * 2)).toBe(false);
  });

  it("R16: overdue flips exactly at 00:00 UTC after the due date, for any due date", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("2000-01-01T00:00:00Z"),
          max: new Date("2099-12-31T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.integer({ min: 1, max: 10 * 86_400_000 }),
        (date, offset) => {
          const dueDate = date.toISOString().slice(0, 10);
          const boundary = Date.parse(`${dueDate}T00:00:00.000Z`) + 86_400_000;
          const milestone = makeMilestone(1, "funded", { dueDate });
          expect(isOverdue(milestone, boundary - offset)).toBe(false);
          expect(isOverdue(milestone, boundary + offset - 1)).toBe(true);
        },
      ),
    );
  });
});
