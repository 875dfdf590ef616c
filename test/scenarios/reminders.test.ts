import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { endContract } from "../../src/app/use-cases/end-contract.js";
import { requestChanges } from "../../src/app/use-cases/request-changes.js";
import { requestRefund } from "../../src/app/use-cases/request-refund.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import { DAY_MS } from "../../src/domain/types.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { contractWith, parties, SECOND, type Parties } from "./calendar.js";

async function reminders(engine: TestEngine, contractId: string) {
  const rows = await engine.database.handle.db
    .selectFrom("events")
    .select(["type", "actor_kind", "data", "created_at"])
    .where("contract_id", "=", contractId)
    .where("type", "in", ["milestone.auto_approval_reminder", "refund_request.reminder"])
    .orderBy("id")
    .execute();
  return rows.map((r) => ({
    type: r.type,
    actor: r.actor_kind,
    daysBefore: (JSON.parse(r.data) as { daysBefore: number }).daysBefore,
  }));
}

describe.each(DIALECTS)("reminders before automatic actions (%s)", (dialect) => {
  let engine: TestEngine;
  let people: Parties;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
    people = await parties(engine);
  });
  afterEach(() => engine.close());

  it("R14, R22: day 0 submitted; day 11 a 3-day reminder, day 13 a 1-day reminder, each once, by the system; day 14 approved", async () => {
    const { contractId, ids } = await contractWith(engine, people, [10_000]);
    await engine.must((ctx) => submitWork(ctx, people.freelancer, ids[0]!, { message: "done" }));
    engine.clock.toDay(11, -SECOND);
    expect(await engine.sweep()).toMatchObject({ reminders: 0 });
    engine.clock.toDay(11);
    expect(await engine.sweep()).toMatchObject({ reminders: 1, fired: 0 });
    expect(await engine.sweep()).toMatchObject({ reminders: 0 });
    engine.clock.toDay(13);
    expect(await engine.sweep()).toMatchObject({ reminders: 1, fired: 0 });
    engine.clock.toDay(14);
    expect(await engine.sweep()).toMatchObject({ reminders: 0, fired: 1 });
    expect(await reminders(engine, contractId)).toEqual([
      { type: "milestone.auto_approval_reminder", actor: "system", daysBefore: 3 },
      { type: "milestone.auto_approval_reminder", actor: "system", daysBefore: 1 },
    ]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R14, R23: after downtime only the latest reminder still ahead is sent; none once the deadline has passed", async () => {
    const first = await contractWith(engine, people, [10_000]);
    await engine.must((ctx) => submitWork(ctx, people.freelancer, first.ids[0]!, { message: "a" }));
    engine.clock.toDay(13, 12 * 60 * 60 * SECOND);
    expect(await engine.sweep()).toMatchObject({ reminders: 1, fired: 0 });
    expect(await reminders(engine, first.contractId)).toEqual([
      { type: "milestone.auto_approval_reminder", actor: "system", daysBefore: 1 },
    ]);
    const second = await contractWith(engine, people, [10_000]);
    await engine.must((ctx) =>
      submitWork(ctx, people.freelancer, second.ids[0]!, { message: "b" }),
    );
    engine.clock.advance(20 * DAY_MS);
    expect(await engine.sweep()).toMatchObject({ reminders: 0, fired: 2 });
    expect(await reminders(engine, second.contractId)).toEqual([]);
  });

  it("R13, R14: a request for changes cancels the pending reminders; a resubmission schedules new ones", async () => {
    const { contractId, ids } = await contractWith(engine, people, [10_000]);
    await engine.must((ctx) => submitWork(ctx, people.freelancer, ids[0]!, { message: "v1" }));
    engine.clock.toDay(10);
    await engine.must((ctx) => requestChanges(ctx, people.client, ids[0]!, "more"));
    engine.clock.toDay(13);
    expect(await engine.sweep()).toMatchObject({ reminders: 0, fired: 0 });
    await engine.must((ctx) => submitWork(ctx, people.freelancer, ids[0]!, { message: "v2" }));
    engine.clock.toDay(24);
    expect(await engine.sweep()).toMatchObject({ reminders: 1, fired: 0 });
    expect(await reminders(engine, contractId)).toHaveLength(1);
  });

  it("R18: a pending refund request is reminded 3 days and 1 day before its 7-day window closes", async () => {
    const { contractId } = await contractWith(engine, people, [10_000]);
    await engine.must((ctx) => endContract(ctx, people.client, contractId, ""));
    await engine.must((ctx) => requestRefund(ctx, people.client, contractId, "stopped"));
    engine.clock.toDay(4);
    expect(await engine.sweep()).toMatchObject({ reminders: 1 });
    engine.clock.toDay(6);
    expect(await engine.sweep()).toMatchObject({ reminders: 1 });
    engine.clock.toDay(7);
    expect(await engine.sweep()).toMatchObject({ reminders: 0, fired: 1 });
    expect(await reminders(engine, contractId)).toEqual([
      { type: "refund_request.reminder", actor: "system", daysBefore: 3 },
      { type: "refund_request.reminder", actor: "system", daysBefore: 1 },
    ]);
  });

  it("R17, R25: no reminder for an approval a refund request holds, and none longer than a short window", async () => {
    const short = await createTestEngine(dialect, { reviewWindowDays: 2 });
    try {
      const p = await parties(short);
      const { contractId, ids } = await contractWith(short, p, [10_000]);
      await short.must((ctx) => submitWork(ctx, p.freelancer, ids[0]!, { message: "done" }));
      short.clock.toDay(1, SECOND);
      expect(await short.sweep()).toMatchObject({ reminders: 1, fired: 0 });
      expect(await reminders(short, contractId)).toEqual([
        { type: "milestone.auto_approval_reminder", actor: "system", daysBefore: 1 },
      ]);
      await short.must((ctx) => endContract(ctx, p.client, contractId, ""));
      await short.must((ctx) => requestRefund(ctx, p.client, contractId, ""));
      short.clock.toDay(1, 2 * SECOND);
      expect(await short.sweep()).toMatchObject({ reminders: 0 });
    } finally {
      await short.close();
    }
  });
});
