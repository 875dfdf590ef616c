import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { answerDueDate } from "../../src/app/use-cases/answer-due-date.js";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { cancelMilestone } from "../../src/app/use-cases/cancel-milestone.js";
import { proposeDueDate } from "../../src/app/use-cases/propose-due-date.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import { isOverdue } from "../../src/domain/aggregate.js";
import { milestoneFromRow } from "../../src/storage/rows.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import {
  contractWith,
  countRows,
  earned,
  escrow,
  eventsOf,
  milestone,
  outcome,
  parties,
  SECOND,
  statuses,
  type Parties,
} from "./calendar.js";

describe.each(DIALECTS)("due dates (%s)", (dialect) => {
  let engine: TestEngine;
  let people: Parties;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
    people = await parties(engine);
  });
  afterEach(() => engine.close());

  async function proposals(milestoneId: string) {
    return engine.database.handle.db
      .selectFrom("due_date_changes")
      .selectAll()
      .where("milestone_id", "=", milestoneId)
      .orderBy("id")
      .execute();
  }

  async function overdue(milestoneId: string): Promise<boolean> {
    return isOverdue(milestoneFromRow(await milestone(engine, milestoneId)), engine.clock.current);
  }

  it("R16: day 1 the freelancer proposes 2026-01-20; the proposer cannot answer; day 2 the client accepts and the milestone has the new date", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000], {
      dueDates: ["2026-01-10"],
    });

    engine.clock.toDay(1);
    await engine.must((ctx) => proposeDueDate(ctx, freelancer, ids[0]!, "2026-01-20"));
    // A proposal alone changes nothing.
    expect((await milestone(engine, ids[0]!)).due_date).toBe("2026-01-10");
    const [proposal] = await proposals(ids[0]!);
    expect(proposal).toMatchObject({
      status: "pending",
      due_date: "2026-01-20",
      proposed_by: freelancer.id,
    });
    expect(
      await outcome(engine, (ctx) => answerDueDate(ctx, freelancer, proposal!.id, "accept")),
    ).toBe("forbidden");
    expect((await milestone(engine, ids[0]!)).due_date).toBe("2026-01-10");

    engine.clock.toDay(2);
    await engine.must((ctx) => answerDueDate(ctx, client, proposal!.id, "accept"));
    expect((await milestone(engine, ids[0]!)).due_date).toBe("2026-01-20");
    expect((await proposals(ids[0]!))[0]).toMatchObject({
      status: "accepted",
      answered_at: engine.clock.current,
    });
    // Answered once: a second answer is refused.
    expect(
      await outcome(engine, (ctx) => answerDueDate(ctx, client, proposal!.id, "decline")),
    ).toBe("invalid_state");
    const [accepted] = await eventsOf(engine, contractId, "due_date_change.accepted");
    expect(accepted).toMatchObject({ actor_kind: "user", actor_user_id: client.id });
    expect(await engine.violations()).toEqual([]);
  });

  it("R16: day 1 the client proposes; a second proposal waits; day 3 the freelancer declines and the date stays", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 20_000], {
      dueDates: ["2026-01-10", null],
    });

    engine.clock.toDay(1);
    await engine.must((ctx) => proposeDueDate(ctx, client, ids[0]!, "2026-01-08"));
    expect(
      await outcome(engine, (ctx) => proposeDueDate(ctx, freelancer, ids[0]!, "2026-01-30")),
    ).toBe("invalid_state");
    const [proposal] = await proposals(ids[0]!);
    expect(
      await outcome(engine, (ctx) => answerDueDate(ctx, client, proposal!.id, "decline")),
    ).toBe("forbidden");

    engine.clock.toDay(3);
    await engine.must((ctx) => answerDueDate(ctx, freelancer, proposal!.id, "decline"));
    expect((await milestone(engine, ids[0]!)).due_date).toBe("2026-01-10");
    expect((await proposals(ids[0]!)).map((p) => p.status)).toEqual(["declined"]);

    // Once answered, a new proposal can be made, also for an unfunded milestone with no date.
    await engine.must((ctx) => proposeDueDate(ctx, freelancer, ids[0]!, "2026-01-30"));
    await engine.must((ctx) => proposeDueDate(ctx, freelancer, ids[1]!, "2026-02-15"));
    const [later] = await proposals(ids[1]!);
    await engine.must((ctx) => answerDueDate(ctx, client, later!.id, "accept"));
    expect((await milestone(engine, ids[1]!)).due_date).toBe("2026-02-15");
    expect(
      (await eventsOf(engine, contractId, "due_date_change.proposed")).map((e) => e.actor_user_id),
    ).toEqual([client.id, freelancer.id, freelancer.id]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R16: only the parties propose and answer; staff and strangers cannot", async () => {
    const { client } = people;
    const staff = await engine.user("Stella", { staff: true, card: null });
    const stranger = await engine.user("Sam");
    const { ids } = await contractWith(engine, people, [50_000], { dueDates: ["2026-01-10"] });

    expect(
      await outcome(engine, (ctx) => proposeDueDate(ctx, stranger, ids[0]!, "2026-01-20")),
    ).toBe("not_found");
    expect(await outcome(engine, (ctx) => proposeDueDate(ctx, staff, ids[0]!, "2026-01-20"))).toBe(
      "forbidden",
    );
    await engine.must((ctx) => proposeDueDate(ctx, client, ids[0]!, "2026-01-20"));
    const [proposal] = await proposals(ids[0]!);
    expect(
      await outcome(engine, (ctx) => answerDueDate(ctx, stranger, proposal!.id, "accept")),
    ).toBe("not_found");
    expect(await outcome(engine, (ctx) => answerDueDate(ctx, staff, proposal!.id, "accept"))).toBe(
      "forbidden",
    );
    expect((await milestone(engine, ids[0]!)).due_date).toBe("2026-01-10");
    expect((await proposals(ids[0]!))[0]!.status).toBe("pending");
    expect(await engine.violations()).toEqual([]);
  });

  it("R16: due 2026-01-10: overdue only once that UTC day has ended; nothing else happens; day 8 late work is submitted and paid", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 20_000], {
      dueDates: ["2026-01-10", "2026-01-09"],
    });

    // Day 5 is 2026-01-10T09:00Z; the due day ends at 2026-01-11T00:00Z (day 5 + 15 hours).
    engine.clock.toDay(5);
    expect(await overdue(ids[0]!)).toBe(false);
    engine.clock.toDay(5, 15 * 3_600_000 - SECOND);
    expect(await overdue(ids[0]!)).toBe(false);
    engine.clock.toDay(5, 15 * 3_600_000);
    expect(await overdue(ids[0]!)).toBe(true);
    // An unfunded milestone past its date is overdue too, a cancelled one is not.
    expect(await overdue(ids[1]!)).toBe(true);

    // Nothing else happens: no timed rule, no money, no status change.
    const eventsBefore = await countRows(engine, "events");
    engine.clock.toDay(8);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["funded", "pending"]);
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await countRows(engine, "events")).toBe(eventsBefore);

    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "late, sorry" }));
    expect(await overdue(ids[0]!)).toBe(true);
    engine.clock.toDay(9);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    expect(await overdue(ids[0]!)).toBe(false);
    await engine.must((ctx) => cancelMilestone(ctx, client, ids[1]!));
    expect(await overdue(ids[1]!)).toBe(false);
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R16: an accepted new date clears overdue: day 6 overdue, day 6 the client accepts 2026-01-15", async () => {
    const { client, freelancer } = people;
    const { ids } = await contractWith(engine, people, [50_000], { dueDates: ["2026-01-10"] });

    engine.clock.toDay(6);
    expect(await overdue(ids[0]!)).toBe(true);
    await engine.must((ctx) => proposeDueDate(ctx, freelancer, ids[0]!, "2026-01-15"));
    expect(await overdue(ids[0]!)).toBe(true);
    const [proposal] = await proposals(ids[0]!);
    await engine.must((ctx) => answerDueDate(ctx, client, proposal!.id, "accept"));
    expect(await overdue(ids[0]!)).toBe(false);
    expect(await engine.violations()).toEqual([]);
  });

  it("R16: no date changes for a paid milestone or on an offer not yet accepted; a proposal left open when the milestone is paid cannot be accepted", async () => {
    const { client, freelancer } = people;
    const offered = await contractWith(engine, people, [10_000], { accept: false });
    expect(
      await outcome(engine, (ctx) => proposeDueDate(ctx, client, offered.ids[0]!, "2026-02-01")),
    ).toBe("invalid_state");

    const { ids } = await contractWith(engine, people, [50_000], { dueDates: ["2026-01-10"] });
    engine.clock.toDay(1);
    await engine.must((ctx) => proposeDueDate(ctx, freelancer, ids[0]!, "2026-01-20"));
    const [proposal] = await proposals(ids[0]!);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    expect(await outcome(engine, (ctx) => answerDueDate(ctx, client, proposal!.id, "accept"))).toBe(
      "invalid_state",
    );
    expect(await outcome(engine, (ctx) => proposeDueDate(ctx, client, ids[0]!, "2026-01-25"))).toBe(
      "invalid_state",
    );
    expect((await milestone(engine, ids[0]!)).due_date).toBe("2026-01-10");
    expect(await engine.violations()).toEqual([]);
  });
});
