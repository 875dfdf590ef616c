/**
 * The double-entry ledger (R4, R5, R15, R19, R21): postings per movement, their balance and
 * signs, the escrow delta and the balance guard.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertBalanced,
  escrowDelta,
  postingsFor,
  type AccountKind,
  type Movement,
  type PostingDraft,
  type TransactionType,
} from "../../src/domain/ledger.js";

const PARTIES = { contractId: "ctr_1", clientId: "u_client", freelancerId: "u_freelancer" };
const MAX = 10_000_000_000;

type Kind = Movement["kind"];
type Sign = -1 | 0 | 1;

/**
 * What each movement does to each account, as R5 describes the flows, and the report type it
 * carries (R21). Written here, independently of ledger.ts.
 */
const EXPECTED: Record<
  Kind,
  { readonly signs: Record<AccountKind, Sign>; readonly type: TransactionType }
> = {
  // R5, R7, R11: a charge moves money from the client's payment method into escrow.
  deposit: { signs: { payment_source: -1, escrow: 1, earnings: 0 }, type: "escrow_deposit" },
  // R13: a release moves escrow to the freelancer's earnings.
  release: { signs: { payment_source: 0, escrow: -1, earnings: 1 }, type: "milestone_payment" },
  // R15: more than funded: the difference is charged and released in one go, escrow untouched.
  extra: { signs: { payment_source: -1, escrow: 0, earnings: 1 }, type: "extra_payment" },
  // R8, R9, R18: a refund returns escrow to the client's payment method.
  refund: { signs: { payment_source: 1, escrow: -1, earnings: 0 }, type: "escrow_refund" },
  // R19: the two parts of a dispute resolution.
  dispute_release: {
    signs: { payment_source: 0, escrow: -1, earnings: 1 },
    type: "dispute_release",
  },
  dispute_refund: {
    signs: { payment_source: 1, escrow: -1, earnings: 0 },
    type: "dispute_refund",
  },
};
const KINDS = Object.keys(EXPECTED) as Kind[];

const kindArb = fc.constantFrom(...KINDS);
const amountArb = fc.integer({ min: 1, max: MAX });
const milestoneIdArb = fc.option(fc.constantFrom("ms_1", "ms_2"), { nil: null });
const movementArb: fc.Arbitrary<Movement> = fc.record({
  kind: kindArb,
  amount: amountArb,
  milestoneId: milestoneIdArb,
});

function sum(postings: readonly PostingDraft[]): number {
  return postings.reduce((total, p) => total + p.amount, 0);
}

function change(postings: readonly PostingDraft[], kind: AccountKind): number {
  return sum(postings.filter((p) => p.accountKind === kind));
}

describe("postings per movement", () => {
  it("R4: every movement's postings sum to zero, for any amount from 1 to 10^10", () => {
    fc.assert(
      fc.property(movementArb, (movement) => {
        const postings = postingsFor(PARTIES, movement);
        expect(postings).toHaveLength(2);
        expect(sum(postings)).toBe(0);
        expect(() => assertBalanced(postings)).not.toThrow();
      }),
    );
  });

  it.each(KINDS)("R5, R21: a %s moves money between the right accounts", (kind) => {
    fc.assert(
      fc.property(amountArb, milestoneIdArb, (amount, milestoneId) => {
        const postings = postingsFor(PARTIES, { kind, amount, milestoneId });
        const { signs, type } = EXPECTED[kind];
        for (const account of ["payment_source", "escrow", "earnings"] as const) {
          expect(change(postings, account)).toBe(signs[account] * amount);
        }
        for (const p of postings) {
          expect(p.type).toBe(type);
          expect(p.milestoneId).toBe(milestoneId);
        }
      }),
    );
  });

  it("R5: a charge (deposit) makes the client's payment_source negative, on the client's account", () => {
    const [source, escrow] = postingsFor(PARTIES, {
      kind: "deposit",
      amount: 5_000,
      milestoneId: "ms_1",
    });
    expect(source).toMatchObject({
      account: "payment_source:u_client",
      accountKind: "payment_source",
      ownerUserId: "u_client",
      amount: -5_000,
    });
    expect(escrow).toMatchObject({
      account: "escrow:ctr_1",
      accountKind: "escrow",
      ownerUserId: null,
      amount: 5_000,
    });
  });

  it("R5: a release makes the freelancer's earnings positive, on the freelancer's account", () => {
    const postings = postingsFor(PARTIES, { kind: "release", amount: 7_000, milestoneId: null });
    expect(postings).toContainEqual(
      expect.objectContaining({
        account: "earnings:u_freelancer",
        ownerUserId: "u_freelancer",
        amount: 7_000,
      }),
    );
    expect(postings).toContainEqual(
      expect.objectContaining({ account: "escrow:ctr_1", amount: -7_000 }),
    );
  });

  it.each([0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])(
    "R3, R4: a movement of %s is a programmer bug and throws",
    (amount) => {
      expect(() => postingsFor(PARTIES, { kind: "deposit", amount, milestoneId: null })).toThrow(
        /bad movement amount/,
      );
    },
  );
});

describe("escrowDelta", () => {
  it("R4, R15: deposits add to escrow, extra leaves it alone, everything else takes from it", () => {
    expect(escrowDelta([{ kind: "deposit", amount: 100, milestoneId: null }])).toBe(100);
    expect(escrowDelta([{ kind: "extra", amount: 100, milestoneId: null }])).toBe(0);
    for (const kind of ["release", "refund", "dispute_release", "dispute_refund"] as const) {
      expect(escrowDelta([{ kind, amount: 100, milestoneId: null }])).toBe(-100);
    }
    expect(escrowDelta([])).toBe(0);
  });

  it("R4: escrowDelta equals the sum of the escrow postings of the same movements", () => {
    fc.assert(
      fc.property(fc.array(movementArb, { maxLength: 8 }), (movements) => {
        const escrowPostings = movements
          .flatMap((m) => postingsFor(PARTIES, m))
          .filter((p) => p.account === "escrow:ctr_1");
        expect(escrowDelta(movements)).toBe(sum(escrowPostings));
      }),
    );
  });

  it("R15: approving more than funded (release + extra) empties exactly the funded amount", () => {
    fc.assert(
      fc.property(amountArb, amountArb, (funded, extra) => {
        const movements: Movement[] = [
          { kind: "release", amount: funded, milestoneId: "ms_1" },
          { kind: "extra", amount: extra, milestoneId: "ms_1" },
        ];
        expect(escrowDelta(movements)).toBe(-funded);
        const postings = movements.flatMap((m) => postingsFor(PARTIES, m));
        expect(change(postings, "earnings")).toBe(funded + extra);
        expect(change(postings, "payment_source")).toBe(-extra);
      }),
    );
  });
});

describe("assertBalanced", () => {
  it("R4: an unbalanced entry throws, however small the imbalance", () => {
    fc.assert(
      fc.property(
        movementArb,
        fc.integer({ min: -MAX, max: MAX }).filter((d) => d !== 0),
        fc.nat({ max: 1 }),
        (movement, delta, index) => {
          const postings = postingsFor(PARTIES, movement);
          const broken = postings.map((p, i) =>
            i === index ? { ...p, amount: p.amount + delta } : p,
          );
          expect(() => assertBalanced(broken)).toThrow(/unbalanced/);
        },
      ),
    );
  });

  it("R4: an entry of fewer than two postings throws even when it sums to zero", () => {
    const [one] = postingsFor(PARTIES, { kind: "deposit", amount: 1, milestoneId: null });
    expect(() => assertBalanced([])).toThrow(/unbalanced/);
    expect(() => assertBalanced([{ ...one!, amount: 0 }])).toThrow(/unbalanced/);
  });

  it("R4: the postings of several movements together still balance", () => {
    fc.assert(
      fc.property(fc.array(movementArb, { minLength: 1, maxLength: 8 }), (movements) => {
        const postings = movements.flatMap((m) => postingsFor(PARTIES, m));
        expect(() => assertBalanced(postings)).not.toThrow();
      }),
    );
  });
});
