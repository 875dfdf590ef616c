/** A retried transaction never makes the payment provider charge twice (R5, R24). */
import { describe, expect, it } from "vitest";
import type { ChargeRequest } from "../../src/app/ports.js";
import { makeOffer } from "../../src/app/use-cases/make-offer.js";
import { SqlTx } from "../../src/storage/sql-tx.js";
import { POSTGRES_URL } from "../support/dialects.js";
import { createTestEngine } from "../support/engine.js";

describe.runIf(POSTGRES_URL !== undefined)("a deadlock retry on PostgreSQL", () => {
  it("R5, R24: the retried command calls the provider with the same key, so it is charged once", async () => {
    const engine = await createTestEngine("postgres");
    const client = await engine.user("Carol");
    const freelancer = await engine.user("Frank", { card: null });
    const keys: string[] = [];
    const real = engine.deps.payments;
    Object.assign(engine.deps, {
      payments: {
        name: real.name,
        describeToken: (token: string) => real.describeToken(token),
        refund: real.refund.bind(real),
        charge: (request: ChargeRequest) => {
          keys.push(request.idempotencyKey);
          return real.charge(request);
        },
      },
    });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- restored below, called with its own `this`
    const original = SqlTx.prototype.applyPlan;
    let failed = false;
    SqlTx.prototype.applyPlan = async function (this: SqlTx, plan, info) {
      await original.call(this, plan, info);
      if (!failed) {
        failed = true;
        throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
      }
    };
    try {
      const result = await engine.run((ctx) =>
        makeOffer(ctx, client, {
          freelancerEmail: freelancer.email,
          title: "T",
          currency: "USD",
          milestones: [{ title: "A", amount: 500 }],
        }),
      );
      expect(result.ok).toBe(true);
      expect(keys).toHaveLength(2);
      expect(new Set(keys).size).toBe(1);
      const entries = await engine.database.handle.db
        .selectFrom("journal_entries")
        .select("id")
        .execute();
      expect(entries).toHaveLength(1);
      expect(await engine.violations()).toEqual([]);
    } finally {
      SqlTx.prototype.applyPlan = original;
      await engine.close();
    }
  });
});
