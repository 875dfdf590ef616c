import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { requestChanges } from "../../src/app/use-cases/request-changes.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import { DAY_MS } from "../../src/domain/types.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { FakeClock } from "../support/fake-clock.js";
import {
  contractWith,
  earned,
  escrow,
  events,
  eventsOf,
  milestone,
  parties,
  SECOND,
  statuses,
  submissions,
  type Parties,
} from "./calendar.js";

const at = (day: number) => FakeClock.DAY_ZERO + day * DAY_MS;

describe.each(DIALECTS)("the review clock (%s)", (dialect) => {
  let engine: TestEngine;
  let people: Parties;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
    people = await parties(engine);
  });
  afterEach(() => engine.close());

  it("R14: day 3 submitted; day 17 minus 1 second nothing; day 17 auto-approved with the full funded amount", async () => {
    const { freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000]);

    engine.clock.toDay(3);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));
    expect((await milestone(engine, ids[0]!)).auto_approve_at).toBe(at(17));

    engine.clock.toDay(10);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    engine.clock.toDay(17, -SECOND);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["submitted", "pending"]);
    expect(await earned(engine, freelancer)).toBe(0);

    engine.clock.toDay(17);
    expect(await engine.sweep()).toMatchObject({ fired: 1, skipped: 0 });
    const row = await milestone(engine, ids[0]!);
    expect(row.status).toBe("paid");
    expect(row.released_amount).toBe(50_000);
    expect(row.auto_approve_at).toBeNull();
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await escrow(engine, contractId)).toBe(0);
    const [submission] = await submissions(engine, ids[0]!);
    expect(submission).toMatchObject({ review_outcome: "auto_approved", reviewed_at: at(17) });
    // It happens once: a later sweep finds nothing.
    engine.clock.toDay(18);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R14, R22: the automatic approval is recorded as done by the system, the submission by the freelancer", async () => {
    const { freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    engine.clock.toDay(1);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));
    engine.clock.toDay(15);
    await engine.sweep();

    const [submitted] = await eventsOf(engine, contractId, "milestone.submitted");
    expect(submitted).toMatchObject({
      actor_kind: "user",
      actor_user_id: freelancer.id,
      created_at: at(1),
    });
    const [auto] = await eventsOf(engine, contractId, "milestone.auto_approved");
    expect(auto).toMatchObject({ actor_kind: "system", actor_user_id: null, created_at: at(15) });
    expect(JSON.parse(auto!.data)).toMatchObject({ milestoneId: ids[0], releasedAmount: 50_000 });
    expect(await engine.violations()).toEqual([]);
  });

  it("R14: a request for changes stops the clock: day 0 submitted, day 5 changes requested, nothing by day 30", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v1" }));
    engine.clock.toDay(5);
    await engine.must((ctx) => requestChanges(ctx, client, ids[0]!, "fix the footer"));
    expect((await milestone(engine, ids[0]!)).auto_approve_at).toBeNull();

    engine.clock.toDay(14);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    engine.clock.toDay(30);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["changes_requested"]);
    expect(await earned(engine, freelancer)).toBe(0);
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await eventsOf(engine, contractId, "milestone.auto_approved")).toEqual([]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R14: a resubmission starts a new 14 days: day 0 submitted, day 5 changes, day 10 resubmitted, day 14 nothing, day 24 minus 1 second nothing, day 24 auto-approved", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v1" }));
    engine.clock.toDay(5);
    await engine.must((ctx) => requestChanges(ctx, client, ids[0]!, "again"));
    engine.clock.toDay(10);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v2" }));
    expect((await milestone(engine, ids[0]!)).auto_approve_at).toBe(at(24));

    engine.clock.toDay(14);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    engine.clock.toDay(24, -SECOND);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["submitted"]);

    engine.clock.toDay(24);
    expect(await engine.sweep()).toMatchObject({ fired: 1, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["paid"]);
    expect(await earned(engine, freelancer)).toBe(50_000);
    const rows = await submissions(engine, ids[0]!);
    expect(rows.map((s) => s.review_outcome)).toEqual(["changes_requested", "auto_approved"]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R13, R14: a client who answers on day 13 wins; the sweep on day 14 finds nothing", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v1" }));
    engine.clock.toDay(13);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!, 45_000));
    engine.clock.toDay(14);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });

    expect(await earned(engine, freelancer)).toBe(45_000);
    expect(await escrow(engine, contractId)).toBe(5_000);
    expect(await eventsOf(engine, contractId, "milestone.auto_approved")).toEqual([]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R14, R23: an approval that fell due while no sweep ran fires once, at the sweep's time, oldest first", async () => {
    const { freelancer } = people;
    const other = await engine.user("Olga");
    const first = await contractWith(engine, people, [50_000]);
    const second = await contractWith(
      engine,
      { client: people.client, freelancer: other },
      [7_000],
    );

    engine.clock.toDay(1);
    await engine.must((ctx) => submitWork(ctx, other, second.ids[0]!, { message: "b" }));
    engine.clock.toDay(2);
    await engine.must((ctx) => submitWork(ctx, freelancer, first.ids[0]!, { message: "a" }));

    engine.clock.toDay(40);
    expect(await engine.sweep()).toMatchObject({ fired: 2, skipped: 0 });
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await earned(engine, other)).toBe(7_000);
    const [auto] = await eventsOf(engine, first.contractId, "milestone.auto_approved");
    expect(auto!.created_at).toBe(at(40));
    expect(await engine.violations()).toEqual([]);
  });

  it("R22: a contract's history names who did each change and when, in order", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);
    engine.clock.toDay(1);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v1" }));
    engine.clock.toDay(2);
    await engine.must((ctx) => requestChanges(ctx, client, ids[0]!, "more"));
    engine.clock.toDay(3);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v2" }));
    engine.clock.toDay(17);
    await engine.sweep();

    const history = (await events(engine, contractId)).map((e) => [
      e.type,
      e.actor_kind,
      e.actor_user_id,
      (e.created_at - FakeClock.DAY_ZERO) / DAY_MS,
    ]);
    expect(history).toEqual([
      ["contract.offered", "user", client.id, 0],
      ["milestone.funded", "user", client.id, 0],
      ["contract.accepted", "user", freelancer.id, 0],
      ["milestone.submitted", "user", freelancer.id, 1],
      ["milestone.changes_requested", "user", client.id, 2],
      ["milestone.submitted", "user", freelancer.id, 3],
      ["milestone.auto_approved", "system", null, 17],
    ]);
    expect(await engine.violations()).toEqual([]);
  });
});
