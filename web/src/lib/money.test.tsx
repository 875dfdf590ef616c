import { describe, expect, it } from "vitest";
import { currencyExponent, formatMoney, toMajorString, toMinorUnits } from "./money";

const minor = (input: string, currency: string) => {
  const parsed = toMinorUnits(input, currency);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.minor;
};

describe("major -> minor units (R3)", () => {
  it("uses the ISO 4217 exponent: USD 2, JPY 0, KWD 3", () => {
    expect(currencyExponent("USD")).toBe(2);
    expect(currencyExponent("JPY")).toBe(0);
    expect(currencyExponent("KWD")).toBe(3);
  });

  it("converts USD with two decimals, without floating point error", () => {
    expect(minor("1250.50", "USD")).toBe(125050);
    expect(minor("1,250.5", "USD")).toBe(125050);
    expect(minor("0.29", "USD")).toBe(29); // 0.29 * 100 = 28.999999999999996 as a float
    expect(minor("19.99", "USD")).toBe(1999);
    expect(minor("1", "USD")).toBe(100);
    expect(minor(".5", "USD")).toBe(50);
    expect(minor("100000000.00", "USD")).toBe(10_000_000_000);
  });

  it("converts JPY with no decimals and refuses fractions", () => {
    expect(minor("1500", "JPY")).toBe(1500);
    expect(minor("1,500", "JPY")).toBe(1500);
    expect(toMinorUnits("1500.5", "JPY")).toEqual({
      ok: false,
      message: "JPY has no decimal places",
    });
  });

  it("converts KWD with three decimals", () => {
    expect(minor("12.345", "KWD")).toBe(12345);
    expect(minor("12.3", "KWD")).toBe(12300);
    expect(minor("0.001", "KWD")).toBe(1);
    expect(toMinorUnits("1.2345", "KWD").ok).toBe(false);
  });

  it("refuses what is not an amount, too many decimals, and amounts over 10^10 minor units", () => {
    for (const bad of ["", "abc", "-5", "1e3", "1.2.3", "."]) {
      expect(toMinorUnits(bad, "USD").ok).toBe(false);
    }
    expect(toMinorUnits("1.234", "USD")).toEqual({
      ok: false,
      message: "USD allows at most 2 decimal places",
    });
    expect(toMinorUnits("100000000.01", "USD").ok).toBe(false);
  });

  it("turns minor units back into exact decimal text and formatted money", () => {
    expect(toMajorString(125050, "USD")).toBe("1250.50");
    expect(toMajorString(5, "USD")).toBe("0.05");
    expect(toMajorString(1500, "JPY")).toBe("1500");
    expect(toMajorString(12345, "KWD")).toBe("12.345");
    expect(toMajorString(-250, "USD")).toBe("-2.50");
    expect(formatMoney(125050, "USD")).toMatch(/1,?250\.50/);
    expect(formatMoney(1500, "JPY")).not.toMatch(/\./);
    expect(formatMoney(12345, "KWD")).toMatch(/12\.345/);
  });
});
