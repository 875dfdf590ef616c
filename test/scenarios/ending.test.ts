import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { endContract } from "../../src/app/use-cases/end-contract.js";
import { fundMilestone } from "../../src/app/use-cases/fund-milestone.js";
import { requestChanges } from "../../src/app/use-cases/request-changes.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import { DAY_MS } from "../../src/domain/types.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { contractRow } from "../support/read.js";
import {
  charged,
  contractWith,
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

describe.each(DIALECTS)("ending a contract (%s)", (dialect) => {
  let engine: TestEngine;
  let people: Parties;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
    people = await parties(engine);
  });
  afterEach(() => engine.close());

  it("R9: day 5 the client ends: unfunded milestones are cancelled, the escrow stays; day 6 the client still releases it", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000, 20_000]);

    engine.clock.toDay(5);
    await engine.must((ctx) => endContract(ctx, client, contractId, "changed plans"));

    const contract = await contractRow(engine, contractId);
    expect(contract.status).toBe("ended");
    expect(contract.ended_by).toBe("client");
    expect(contract.ended_at).toBe(engine.clock.current);
    expect(await statuses(engine, contractId)).toEqual(["funded", "cancelled", "cancelled"]);
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await charged(engine, client)).toBe(-50_000);
    const [ended] = await eventsOf(engine, contractId, "contract.ended");
    expect(JSON.parse(ended!.data)).toMatchObject({
      endedBy: "client",
      cancelledMilestoneIds: [ids[1], ids[2]],
    });

    engine.clock.toDay(6);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    expect(await statuses(engine, contractId)).toEqual(["paid", "cancelled", "cancelled"]);
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R9, R14: day 3 submitted; day 5 the client ends; the submission keeps its clock: day 17 minus 1 second nothing, day 17 auto-approved", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000]);

    engine.clock.toDay(3);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));
    const submittedAt = engine.clock.current;
    engine.clock.toDay(5);
    await engine.must((ctx) => endContract(ctx, client, contractId));
    expect(await statuses(engine, contractId)).toEqual(["submitted", "cancelled"]);
    expect((await milestone(engine, ids[0]!)).auto_approve_at).toBe(submittedAt + 14 * DAY_MS);

    engine.clock.toDay(17, -SECOND);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["submitted", "cancelled"]);

    engine.clock.toDay(17);
    expect(await engine.sweep()).toMatchObject({ fired: 1, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["paid", "cancelled"]);
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await escrow(engine, contractId)).toBe(0);
    expect((await contractRow(engine, contractId)).status).toBe("ended");
    expect(await engine.violations()).toEqual([]);
  });

  it("R9: after the client ends, a request for changes is invalid_state but approving still works", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    engine.clock.toDay(1);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v1" }));
    engine.clock.toDay(2);
    await engine.must((ctx) => endContract(ctx, client, contractId));

    engine.clock.toDay(3);
    expect(await outcome(engine, (ctx) => requestChanges(ctx, client, ids[0]!, "more"))).toBe(
      "invalid_state",
    );
    expect(await statuses(engine, contractId)).toEqual(["submitted"]);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    expect(await statuses(engine, contractId)).toEqual(["paid"]);
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R9: day 1 submitted, day 2 changes requested, day 3 the client ends: the freelancer can no longer submit; the client may still release", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    engine.clock.toDay(1);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v1" }));
    engine.clock.toDay(2);
    await engine.must((ctx) => requestChanges(ctx, client, ids[0]!, "bigger logo"));
    engine.clock.toDay(3);
    await engine.must((ctx) => endContract(ctx, client, contractId));

    engine.clock.toDay(4);
    expect(
      await outcome(engine, (ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v2" })),
    ).toBe("invalid_state");
    expect(await statuses(engine, contractId)).toEqual(["changes_requested"]);
    // No clock runs for a milestone with changes requested: nothing happens by itself.
    engine.clock.toDay(40);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await escrow(engine, contractId)).toBe(50_000);

    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!, 20_000));
    expect(await statuses(engine, contractId)).toEqual(["paid"]);
    expect(await earned(engine, freelancer)).toBe(20_000);
    expect(await escrow(engine, contractId)).toBe(30_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R9: day 4 the freelancer ends: the escrow goes back to the client at once; funded milestone refunded, unfunded cancelled", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000]);

    engine.clock.toDay(4);
    await engine.must((ctx) => endContract(ctx, freelancer, contractId, "cannot continue"));

    const contract = await contractRow(engine, contractId);
    expect(contract.status).toBe("ended");
    expect(contract.ended_by).toBe("freelancer");
    expect(await statuses(engine, contractId)).toEqual(["refunded", "cancelled"]);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await charged(engine, client)).toBe(0);
    expect(await earned(engine, freelancer)).toBe(0);
    expect((await eventsOf(engine, contractId, "milestone.refunded")).length).toBe(1);
    expect(await outcome(engine, (ctx) => approveMilestone(ctx, client, ids[0]!))).toBe(
      "invalid_state",
    );
    expect(await engine.violations()).toEqual([]);
  });

  it("R9: the freelancer cannot end while their submission awaits review; after changes are requested they can", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);

    engine.clock.toDay(1);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "v1" }));
    engine.clock.toDay(2);
    expect(await outcome(engine, (ctx) => endContract(ctx, freelancer, contractId))).toBe(
      "invalid_state",
    );
    expect((await contractRow(engine, contractId)).status).toBe("active");
    expect(await escrow(engine, contractId)).toBe(50_000);

    engine.clock.toDay(3);
    await engine.must((ctx) => requestChanges(ctx, client, ids[0]!, "fix it"));
    engine.clock.toDay(4);
    await engine.must((ctx) => endContract(ctx, freelancer, contractId));
    expect(await statuses(engine, contractId)).toEqual(["refunded"]);
    expect(await charged(engine, client)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R9: the freelancer who ends gives up unallocated escrow too", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 30_000]);

    engine.clock.toDay(2);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!, 40_000));
    await engine.must((ctx) => fundMilestone(ctx, client, ids[1]!));
    expect(await escrow(engine, contractId)).toBe(30_000);
    expect(await charged(engine, client)).toBe(-70_000);

    engine.clock.toDay(3);
    await engine.must((ctx) => endContract(ctx, freelancer, contractId));
    expect(await statuses(engine, contractId)).toEqual(["paid", "refunded"]);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await charged(engine, client)).toBe(-40_000);
    expect(await earned(engine, freelancer)).toBe(40_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R9: only an accepted contract can be ended, and only by a party", async () => {
    const { client } = people;
    const stranger = await engine.user("Sam");
    const offered = await contractWith(engine, people, [10_000], { accept: false });
    expect(await outcome(engine, (ctx) => endContract(ctx, client, offered.contractId))).toBe(
      "invalid_state",
    );

    const { contractId } = await contractWith(engine, people, [10_000]);
    expect(await outcome(engine, (ctx) => endContract(ctx, stranger, contractId))).toBe(
      "not_found",
    );
    await engine.must((ctx) => endContract(ctx, client, contractId));
    expect(await outcome(engine, (ctx) => endContract(ctx, client, contractId))).toBe(
      "invalid_state",
    );
    expect(await engine.violations()).toEqual([]);
  });
});
