import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addMilestone } from "../../src/app/use-cases/add-milestone.js";
import { addPaymentMethod } from "../../src/app/use-cases/add-payment-method.js";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { cancelMilestone } from "../../src/app/use-cases/cancel-milestone.js";
import { fundMilestone } from "../../src/app/use-cases/fund-milestone.js";
import { requestChanges } from "../../src/app/use-cases/request-changes.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import { updateMilestone } from "../../src/app/use-cases/update-milestone.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { contractRow, milestoneRows } from "../support/read.js";
import {
  charged,
  contractWith,
  countRows,
  earned,
  escrow,
  eventsOf,
  journalCauses,
  milestone,
  outcome,
  parties,
  statuses,
  submissions,
  type Parties,
} from "./calendar.js";

describe.each(DIALECTS)("milestones (%s)", (dialect) => {
  let engine: TestEngine;
  let people: Parties;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
    people = await parties(engine);
  });
  afterEach(() => engine.close());

  it("R10: day 3 the client adds a milestone: it goes after the last one, unfunded", async () => {
    const { client, freelancer } = people;
    const { contractId } = await contractWith(engine, people, [50_000, 30_000]);

    engine.clock.toDay(3);
    await engine.must((ctx) =>
      addMilestone(ctx, client, contractId, { title: "Launch", amount: 15_000 }),
    );
    await engine.must((ctx) =>
      addMilestone(ctx, client, contractId, { title: "Support", amount: 5_000 }),
    );

    const rows = await milestoneRows(engine, contractId);
    expect(rows.map((m) => [m.position, m.title, m.status, m.amount])).toEqual([
      [1, "Milestone 1", "funded", 50_000],
      [2, "Milestone 2", "pending", 30_000],
      [3, "Launch", "pending", 15_000],
      [4, "Support", "pending", 5_000],
    ]);
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect((await eventsOf(engine, contractId, "milestone.added")).length).toBe(2);
    expect(
      await outcome(engine, (ctx) =>
        addMilestone(ctx, freelancer, contractId, { title: "Bonus", amount: 1 }),
      ),
    ).toBe("forbidden");
    expect(await engine.violations()).toEqual([]);
  });

  it("R10: milestones are added only to an accepted contract, not to an offer", async () => {
    const { client } = people;
    const { contractId } = await contractWith(engine, people, [50_000], { accept: false });
    expect(
      await outcome(engine, (ctx) =>
        addMilestone(ctx, client, contractId, { title: "Extra", amount: 1_000 }),
      ),
    ).toBe("invalid_state");
    expect(await statuses(engine, contractId)).toEqual(["funded"]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R10: amount and description change only while pending; the title and order never change", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000]);

    engine.clock.toDay(1);
    await engine.must((ctx) =>
      updateMilestone(ctx, client, ids[1]!, { amount: 35_000, description: "with tests" }),
    );
    let rows = await milestoneRows(engine, contractId);
    expect(rows[1]).toMatchObject({
      position: 2,
      title: "Milestone 2",
      amount: 35_000,
      description: "with tests",
      status: "pending",
    });

    // The funded milestone is fixed.
    expect(
      await outcome(engine, (ctx) => updateMilestone(ctx, client, ids[0]!, { amount: 1_000 })),
    ).toBe("invalid_state");
    expect(
      await outcome(engine, (ctx) => updateMilestone(ctx, freelancer, ids[1]!, { amount: 1 })),
    ).toBe("forbidden");

    // Once funded, the new amount is what is charged, and it can no longer be edited.
    engine.clock.toDay(2);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    await engine.must((ctx) => fundMilestone(ctx, client, ids[1]!));
    expect(await charged(engine, client)).toBe(-85_000);
    expect(
      await outcome(engine, (ctx) =>
        updateMilestone(ctx, client, ids[1]!, { description: "less" }),
      ),
    ).toBe("invalid_state");
    rows = await milestoneRows(engine, contractId);
    expect(rows.map((m) => [m.position, m.title, m.amount])).toEqual([
      [1, "Milestone 1", 50_000],
      [2, "Milestone 2", 35_000],
    ]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R10: a cancelled milestone stays in the list as cancelled; a funded one cannot be cancelled", async () => {
    const { client } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000, 20_000]);

    engine.clock.toDay(1);
    await engine.must((ctx) => cancelMilestone(ctx, client, ids[1]!));
    expect(await outcome(engine, (ctx) => cancelMilestone(ctx, client, ids[0]!))).toBe(
      "invalid_state",
    );
    expect(await outcome(engine, (ctx) => cancelMilestone(ctx, client, ids[1]!))).toBe(
      "invalid_state",
    );

    const rows = await milestoneRows(engine, contractId);
    expect(rows.map((m) => [m.position, m.status])).toEqual([
      [1, "funded"],
      [2, "cancelled"],
      [3, "pending"],
    ]);
    expect(await eventsOf(engine, contractId, "milestone.cancelled")).toHaveLength(1);
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R11: one funded milestone at a time, in order: the next only after the one before is paid or cancelled", async () => {
    const { client } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000, 20_000]);

    engine.clock.toDay(1);
    // Milestone 1 is funded: nothing else can be.
    expect(await outcome(engine, (ctx) => fundMilestone(ctx, client, ids[1]!))).toBe(
      "invalid_state",
    );
    expect(await outcome(engine, (ctx) => fundMilestone(ctx, client, ids[2]!))).toBe(
      "invalid_state",
    );
    expect(await outcome(engine, (ctx) => fundMilestone(ctx, client, ids[0]!))).toBe(
      "invalid_state",
    );

    engine.clock.toDay(5);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    // Milestone 2 is neither paid nor cancelled: milestone 3 must wait.
    expect(await outcome(engine, (ctx) => fundMilestone(ctx, client, ids[2]!))).toBe(
      "invalid_state",
    );
    expect(await charged(engine, client)).toBe(-50_000);

    engine.clock.toDay(6);
    await engine.must((ctx) => cancelMilestone(ctx, client, ids[1]!));
    await engine.must((ctx) => fundMilestone(ctx, client, ids[2]!));
    expect(await statuses(engine, contractId)).toEqual(["paid", "cancelled", "funded"]);
    expect(await charged(engine, client)).toBe(-70_000);
    expect(await escrow(engine, contractId)).toBe(20_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R11, R15: unallocated escrow funds the next milestones first; only the rest is charged", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 10_000, 25_000]);

    engine.clock.toDay(2);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!, 20_000));
    expect(await escrow(engine, contractId)).toBe(30_000);

    // Milestone 2 is covered in full by the 30,000 left over: no charge at all.
    engine.clock.toDay(3);
    const entriesBefore = await countRows(engine, "journal_entries");
    await engine.must((ctx) => fundMilestone(ctx, client, ids[1]!));
    expect(await countRows(engine, "journal_entries")).toBe(entriesBefore);
    expect(await charged(engine, client)).toBe(-50_000);
    expect(await escrow(engine, contractId)).toBe(30_000);

    engine.clock.toDay(4);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[1]!));
    expect(await escrow(engine, contractId)).toBe(20_000);

    // Milestone 3 (25,000) uses the 20,000 left and charges 5,000.
    engine.clock.toDay(5);
    await engine.must((ctx) => fundMilestone(ctx, client, ids[2]!));
    expect(await charged(engine, client)).toBe(-55_000);
    expect(await escrow(engine, contractId)).toBe(25_000);
    const funded = await eventsOf(engine, contractId, "milestone.funded");
    expect(funded.map((e) => JSON.parse(e.data) as unknown)).toEqual([
      { milestoneId: ids[0], amount: 50_000, charged: 50_000, fromUnallocated: 0 },
      { milestoneId: ids[1], amount: 10_000, charged: 0, fromUnallocated: 10_000 },
      { milestoneId: ids[2], amount: 25_000, charged: 5_000, fromUnallocated: 20_000 },
    ]);

    engine.clock.toDay(6);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[2]!));
    expect(await earned(engine, freelancer)).toBe(55_000);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R5, R11: a declined charge for the next milestone changes nothing", async () => {
    const { client } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000]);
    engine.clock.toDay(2);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    await engine.must((ctx) => addPaymentMethod(ctx, client.id, "tok_chargeDeclined"));
    const eventsBefore = await countRows(engine, "events");

    engine.clock.toDay(3);
    expect(await outcome(engine, (ctx) => fundMilestone(ctx, client, ids[1]!))).toBe(
      "payment_failed",
    );
    expect(await statuses(engine, contractId)).toEqual(["paid", "pending"]);
    expect((await milestone(engine, ids[1]!)).funded_amount).toBe(0);
    expect(await charged(engine, client)).toBe(-50_000);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await countRows(engine, "events")).toBe(eventsBefore);
    expect(await engine.violations()).toEqual([]);
  });

  it("R12: only the funded milestone can be submitted, only by the freelancer, with a message and links", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000]);

    engine.clock.toDay(2);
    expect(
      await outcome(engine, (ctx) => submitWork(ctx, freelancer, ids[1]!, { message: "early" })),
    ).toBe("invalid_state");
    expect(
      await outcome(engine, (ctx) => submitWork(ctx, client, ids[0]!, { message: "mine" })),
    ).toBe("forbidden");

    await engine.must((ctx) =>
      submitWork(ctx, freelancer, ids[0]!, {
        message: "designs attached",
        links: ["https://example.com/designs.pdf"],
      }),
    );
    const row = await milestone(engine, ids[0]!);
    expect(row.status).toBe("submitted");
    expect(row.submitted_at).toBe(engine.clock.current);
    const [submission] = await submissions(engine, ids[0]!);
    expect(submission).toMatchObject({ message: "designs attached", review_outcome: null });
    expect(JSON.parse(submission!.links)).toEqual(["https://example.com/designs.pdf"]);
    // A submission awaiting review cannot be submitted again.
    expect(
      await outcome(engine, (ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "again" })),
    ).toBe("invalid_state");
    expect(await statuses(engine, contractId)).toEqual(["submitted", "pending"]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R12: a milestone of an offer not yet accepted cannot be submitted", async () => {
    const { freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000], { accept: false });
    expect(
      await outcome(engine, (ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" })),
    ).toBe("invalid_state");
    expect(await statuses(engine, contractId)).toEqual(["funded"]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R13: any number of rounds: day 1 submit, day 2 changes, day 4 submit, day 5 changes, day 7 submit, day 8 approve", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);
    const id = ids[0]!;

    engine.clock.toDay(1);
    await engine.must((ctx) => submitWork(ctx, freelancer, id, { message: "v1" }));
    engine.clock.toDay(2);
    await engine.must((ctx) => requestChanges(ctx, client, id, "colours"));
    expect((await milestone(engine, id)).status).toBe("changes_requested");
    engine.clock.toDay(4);
    await engine.must((ctx) => submitWork(ctx, freelancer, id, { message: "v2" }));
    engine.clock.toDay(5);
    await engine.must((ctx) => requestChanges(ctx, client, id, "fonts"));
    engine.clock.toDay(7);
    await engine.must((ctx) => submitWork(ctx, freelancer, id, { message: "v3" }));
    engine.clock.toDay(8);
    await engine.must((ctx) => approveMilestone(ctx, client, id));

    const rows = await submissions(engine, id);
    expect(rows.map((s) => [s.message, s.review_outcome, s.review_message])).toEqual([
      ["v1", "changes_requested", "colours"],
      ["v2", "changes_requested", "fonts"],
      ["v3", "approved", null],
    ]);
    const row = await milestone(engine, id);
    expect(row.status).toBe("paid");
    expect(row.released_amount).toBe(50_000);
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R13: the client may release a funded milestone without a submission; changes can be requested only on a submission", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    engine.clock.toDay(1);
    expect(await outcome(engine, (ctx) => requestChanges(ctx, client, ids[0]!, "?"))).toBe(
      "invalid_state",
    );
    expect(await outcome(engine, (ctx) => approveMilestone(ctx, freelancer, ids[0]!))).toBe(
      "forbidden",
    );
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    expect(await statuses(engine, contractId)).toEqual(["paid"]);
    expect(await earned(engine, freelancer)).toBe(50_000);
    // Paid is final.
    expect(await outcome(engine, (ctx) => approveMilestone(ctx, client, ids[0]!))).toBe(
      "invalid_state",
    );
    expect(
      await outcome(engine, (ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "late" })),
    ).toBe("invalid_state");
    expect(await earned(engine, freelancer)).toBe(50_000);
    // A contract whose milestones are all paid stays active until a party ends it.
    expect((await contractRow(engine, contractId)).status).toBe("active");
    expect(await engine.violations()).toEqual([]);
  });

  it("R15: releasing less leaves the rest in escrow as unallocated", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000]);

    engine.clock.toDay(3);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));
    engine.clock.toDay(4);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!, 30_000));

    const row = await milestone(engine, ids[0]!);
    expect(row.status).toBe("paid");
    expect(row.funded_amount).toBe(50_000);
    expect(row.released_amount).toBe(30_000);
    expect(await earned(engine, freelancer)).toBe(30_000);
    expect(await escrow(engine, contractId)).toBe(20_000);
    expect(await charged(engine, client)).toBe(-50_000);
    const [approved] = await eventsOf(engine, contractId, "milestone.approved");
    expect(JSON.parse(approved!.data)).toMatchObject({
      releasedAmount: 30_000,
      extraCharged: 0,
      leftUnallocated: 20_000,
    });
    expect(await engine.violations()).toEqual([]);
  });

  it("R15: releasing more charges the difference and releases it with the milestone in one operation", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    engine.clock.toDay(3);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));
    engine.clock.toDay(4);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!, 60_000));

    expect((await milestone(engine, ids[0]!)).released_amount).toBe(60_000);
    expect(await charged(engine, client)).toBe(-60_000);
    expect(await earned(engine, freelancer)).toBe(60_000);
    expect(await escrow(engine, contractId)).toBe(0);
    // One journal entry for the release: the escrow part and the extra charge together.
    expect(await journalCauses(engine, contractId)).toEqual([
      `fund:${ids[0]}`,
      `release:${ids[0]}`,
    ]);
    const postings = await engine.database.handle.db
      .selectFrom("postings")
      .innerJoin("journal_entries", "journal_entries.id", "postings.entry_id")
      .select(["postings.account", "postings.type", "postings.amount"])
      .where("journal_entries.cause", "=", `release:${ids[0]}`)
      .orderBy("postings.id")
      .execute();
    expect(postings).toEqual([
      { account: `escrow:${contractId}`, type: "milestone_payment", amount: -50_000 },
      { account: `earnings:${freelancer.id}`, type: "milestone_payment", amount: 50_000 },
      { account: `payment_source:${client.id}`, type: "extra_payment", amount: -10_000 },
      { account: `earnings:${freelancer.id}`, type: "extra_payment", amount: 10_000 },
    ]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R5, R15: a declined extra charge changes nothing; releasing the funded amount still works", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    engine.clock.toDay(3);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));
    await engine.must((ctx) => addPaymentMethod(ctx, client.id, "tok_chargeDeclined"));
    const eventsBefore = await countRows(engine, "events");

    engine.clock.toDay(4);
    expect(await outcome(engine, (ctx) => approveMilestone(ctx, client, ids[0]!, 60_000))).toBe(
      "payment_failed",
    );
    const row = await milestone(engine, ids[0]!);
    expect(row.status).toBe("submitted");
    expect(row.released_amount).toBe(0);
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await charged(engine, client)).toBe(-50_000);
    expect(await earned(engine, freelancer)).toBe(0);
    expect(await countRows(engine, "events")).toBe(eventsBefore);
    expect((await submissions(engine, ids[0]!))[0]!.review_outcome).toBeNull();

    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await engine.violations()).toEqual([]);
  });
});
