/**
 * The ledger check (`escrow verify-ledger`, the benchmark, the race suites) finds each kind of
 * broken ledger: a clean contract passes, and each tampering below is reported by its kind.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acceptOffer } from "../../src/app/use-cases/accept-offer.js";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { makeOffer } from "../../src/app/use-cases/make-offer.js";
import { verifyLedger } from "../../src/storage/verify-ledger.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type EngineOptions, type TestEngine } from "../support/engine.js";
import { milestoneRows } from "../support/read.js";

/**
 * Each dialect, and PostgreSQL once more with a language collation (ICU's en-US), under which
 * names do not sort by bytes: the check must find the escrow accounts whatever the collation.
 */
const CASES: [string, Dialect, EngineOptions][] = DIALECTS.map((d) => [d, d, {}]);
if (DIALECTS.includes("postgres")) {
  CASES.push(["postgres, ICU en-US collation", "postgres", { icuLocale: "en-US" }]);
}

describe.each(CASES)("ledger verification (%s)", (_label, dialect, options) => {
  let engine: TestEngine;
  let contractId: string;
  let paidMilestone: string;
  beforeEach(async () => {
    engine = await createTestEngine(dialect, options);
    const client = await engine.user("Carol");
    const freelancer = await engine.user("Frank");
    ({ contractId } = await engine.must((ctx) =>
      makeOffer(ctx, client, {
        freelancerEmail: freelancer.email,
        title: "Website",
        currency: "USD",
        milestones: [
          { title: "Design", amount: 50_000 },
          { title: "Build", amount: 30_000 },
        ],
      }),
    ));
    await engine.must((ctx) => acceptOffer(ctx, freelancer, contractId));
    const [design] = await milestoneRows(engine, contractId);
    paidMilestone = design!.id;
    await engine.must((ctx) => approveMilestone(ctx, client, paidMilestone));
  });
  afterEach(() => engine.close());

  const db = () => engine.database.handle.db;
  const kinds = async () => (await verifyLedger(db())).map((v) => v.kind);

  /** Adds a journal entry (id after every existing one) with the given escrow/other postings. */
  async function addEntry(
    tag: string,
    postings: { account: string; kind: string; amount: number; type: string }[],
  ) {
    const entryId = `je_ZZZZZZZZZZ${tag.padEnd(16, "0")}`;
    await db()
      .insertInto("journal_entries")
      .values({
        id: entryId,
        contract_id: contractId,
        cause: `tamper:${tag}`,
        currency: "USD",
        provider_reference: null,
        created_at: 1,
      })
      .execute();
    await db()
      .insertInto("postings")
      .values(
        postings.map((p, i) => ({
          id: `${entryId}-${i}`,
          entry_id: entryId,
          account: p.account,
          account_kind: p.kind,
          owner_user_id: null,
          contract_id: contractId,
          milestone_id: paidMilestone,
          type: p.type,
          amount: p.amount,
          currency: "USD",
          created_at: 1,
        })),
      )
      .execute();
  }

  it("R4: a ledger written by the rules passes", async () => {
    expect(await verifyLedger(db())).toEqual([]);
  });

  it("R4: an entry that does not sum to zero is found, and so is escrow that no longer matches", async () => {
    // Ledger rows are append-only (a trigger refuses updates), so the damage is a new entry.
    await addEntry("E", [
      { account: `escrow:${contractId}`, kind: "escrow", amount: 1, type: "milestone_funding" },
    ]);
    expect(await kinds()).toEqual(expect.arrayContaining(["unbalanced_entry", "escrow_mismatch"]));
  });

  it("R4: escrow that went below zero between entries is found even when it ends where it was", async () => {
    const escrow = `escrow:${contractId}`;
    await addEntry("A", [
      { account: escrow, kind: "escrow", amount: -100_000, type: "milestone_payment" },
      { account: "payment_source:x", kind: "payment_source", amount: 100_000, type: "x" },
    ]);
    await addEntry("B", [
      { account: escrow, kind: "escrow", amount: 100_000, type: "milestone_payment" },
      { account: "payment_source:x", kind: "payment_source", amount: -100_000, type: "x" },
    ]);
    const found = await verifyLedger(db());
    expect(found).toEqual([
      { kind: "negative_escrow", detail: `${escrow} after je_ZZZZZZZZZZA000000000000000` },
    ]);
  });

  it("R4: a posting whose kind disagrees with its account is found, and its escrow still counts", async () => {
    await addEntry("F", [
      { account: `escrow:${contractId}`, kind: "earnings", amount: -5, type: "milestone_payment" },
      { account: "earnings:x", kind: "earnings", amount: 5, type: "x" },
    ]);
    const found = await kinds();
    expect(found).toContain("account_kind_mismatch");
    expect(found).toContain("escrow_mismatch");
  });

  it("R4, R16: a milestone paid twice, or paid and refunded, is found", async () => {
    await addEntry("C", [
      { account: `escrow:${contractId}`, kind: "escrow", amount: -1, type: "milestone_payment" },
      { account: "earnings:x", kind: "earnings", amount: 1, type: "milestone_payment" },
    ]);
    await addEntry("D", [
      { account: `escrow:${contractId}`, kind: "escrow", amount: -1, type: "escrow_refund" },
      { account: "payment_source:x", kind: "payment_source", amount: 1, type: "escrow_refund" },
    ]);
    expect(await kinds()).toEqual(
      expect.arrayContaining(["double_release", "released_and_refunded"]),
    );
  });
});
