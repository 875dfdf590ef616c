import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Deps } from "../../src/app/ports.js";
import { runDueRules } from "../../src/app/run-due-rules.js";
import { runUseCase } from "../../src/app/run-command.js";
import { acceptOffer } from "../../src/app/use-cases/accept-offer.js";
import { endContract } from "../../src/app/use-cases/end-contract.js";
import { makeOffer } from "../../src/app/use-cases/make-offer.js";
import { requestRefund } from "../../src/app/use-cases/request-refund.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import type { Result } from "../../src/domain/result.js";
import { DAY_MS } from "../../src/domain/types.js";
import { SqlDueRules } from "../../src/storage/due-rules.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { FakeClock } from "../support/fake-clock.js";
import { contractRow } from "../support/read.js";
import {
  charged,
  contractWith,
  earned,
  milestone,
  parties,
  refundRequests,
  SECOND,
  statuses,
  type Parties,
} from "./calendar.js";

const at = (day: number) => FakeClock.DAY_ZERO + day * DAY_MS;

describe.each(DIALECTS)("configured windows (%s)", (dialect) => {
  let engine: TestEngine;
  let people: Parties;
  beforeEach(async () => {
    engine = await createTestEngine(dialect, { reviewWindowDays: 3, refundWindowDays: 2 });
    people = await parties(engine);
  });
  afterEach(() => engine.close());

  it("R25: a deployment with a 3-day review window: the contract keeps 3 and 2; day 1 submitted, day 4 minus 1 second nothing, day 4 auto-approved", async () => {
    const { freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);
    const contract = await contractRow(engine, contractId);
    expect([contract.review_window_days, contract.refund_window_days]).toEqual([3, 2]);

    engine.clock.toDay(1);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));
    expect((await milestone(engine, ids[0]!)).auto_approve_at).toBe(at(4));

    engine.clock.toDay(4, -SECOND);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["submitted"]);
    engine.clock.toDay(4);
    expect(await engine.sweep()).toMatchObject({ fired: 1, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["paid"]);
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R18, R25: a 2-day refund window: day 1 ended and requested, day 3 minus 1 second nothing, day 3 refunded", async () => {
    const { client } = people;
    const { contractId } = await contractWith(engine, people, [50_000]);
    engine.clock.toDay(1);
    await engine.must((ctx) => endContract(ctx, client, contractId));
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    expect((await refundRequests(engine, contractId))[0]!.respond_by).toBe(at(3));

    engine.clock.toDay(3, -SECOND);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await charged(engine, client)).toBe(-50_000);
    engine.clock.toDay(3);
    expect(await engine.sweep()).toMatchObject({ fired: 1, skipped: 0 });
    expect((await refundRequests(engine, contractId))[0]!.status).toBe("auto_approved");
    expect(await statuses(engine, contractId)).toEqual(["refunded"]);
    expect(await charged(engine, client)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R25: the operator later changes to 14 and 7 days: the earlier contract keeps 3 and 2, a new offer gets 14 and 7", async () => {
    const { client, freelancer } = people;
    const early = await contractWith(engine, people, [50_000]);

    // The same database, now served with the new setting.
    const later: Deps = { ...engine.deps, settings: { reviewWindowDays: 14, refundWindowDays: 7 } };
    const must = async <T>(result: Promise<Result<T>>) => {
      const r = await result;
      if (!r.ok) throw new Error(`refused: ${r.code}`);
      return r.value;
    };
    engine.clock.toDay(1);
    const { contractId: lateId } = await must(
      runUseCase(later, (ctx) =>
        makeOffer(ctx, client, {
          freelancerEmail: freelancer.email,
          title: "Later",
          currency: "USD",
          milestones: [{ title: "Only", amount: 20_000 }],
        }),
      ),
    );
    await must(runUseCase(later, (ctx) => acceptOffer(ctx, freelancer, lateId)));
    const earlyRow = await contractRow(engine, early.contractId);
    const lateRow = await contractRow(engine, lateId);
    expect([earlyRow.review_window_days, earlyRow.refund_window_days]).toEqual([3, 2]);
    expect([lateRow.review_window_days, lateRow.refund_window_days]).toEqual([14, 7]);

    // Day 2: both submitted under the new setting.
    engine.clock.toDay(2);
    const [lateMilestone] = await engine.database.handle.db
      .selectFrom("milestones")
      .select("id")
      .where("contract_id", "=", lateId)
      .execute();
    await must(
      runUseCase(later, (ctx) => submitWork(ctx, freelancer, early.ids[0]!, { message: "a" })),
    );
    await must(
      runUseCase(later, (ctx) => submitWork(ctx, freelancer, lateMilestone!.id, { message: "b" })),
    );
    expect((await milestone(engine, early.ids[0]!)).auto_approve_at).toBe(at(5));
    expect((await milestone(engine, lateMilestone!.id)).auto_approve_at).toBe(at(16));

    const sweep = (day: number) =>
      runDueRules(later, new SqlDueRules(engine.database.handle.db), at(day));
    expect(await sweep(5)).toMatchObject({ fired: 1, skipped: 0 });
    expect(await statuses(engine, early.contractId)).toEqual(["paid"]);
    expect(await statuses(engine, lateId)).toEqual(["submitted"]);
    expect(await sweep(16)).toMatchObject({ fired: 1, skipped: 0 });
    expect(await statuses(engine, lateId)).toEqual(["paid"]);
    expect(await earned(engine, freelancer)).toBe(70_000);
    expect(await engine.violations()).toEqual([]);
  });
});

describe.each(DIALECTS)("default windows (%s)", (dialect) => {
  let engine: TestEngine;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
  });
  afterEach(() => engine.close());

  it("R25: without a setting, a contract keeps the default 14-day review and 7-day refund windows", async () => {
    const people = await parties(engine);
    const { contractId } = await contractWith(engine, people, [1_000]);
    const row = await contractRow(engine, contractId);
    expect([row.review_window_days, row.refund_window_days]).toEqual([14, 7]);
    expect(await engine.violations()).toEqual([]);
  });
});
