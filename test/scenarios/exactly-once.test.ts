import { ConcurrentChangeError } from "../../src/app/errors.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitPlan } from "../../src/app/commit-plan.js";
import { runCommand, type CommandSpec } from "../../src/app/run-command.js";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { decideContext } from "../../src/app/use-cases/load.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import type { Plan } from "../../src/domain/aggregate.js";
import { decideAutoApproveMilestone } from "../../src/domain/milestone-rules.js";
import { ok } from "../../src/domain/result.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import {
  charged,
  contractWith,
  countRows,
  earned,
  escrow,
  eventsOf,
  journalCauses,
  milestone,
  parties,
  statuses,
  submissions,
  type Parties,
} from "./calendar.js";

describe.each(DIALECTS)("money moves once (%s)", (dialect) => {
  let engine: TestEngine;
  let people: Parties;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
    people = await parties(engine);
  });
  afterEach(() => engine.close());

  it("R24: day 14 the system decides an auto-approval, the client approves first; writing the stale release is refused by the ledger's unique cause", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));

    engine.clock.toDay(14);
    // The timed rule has read the milestone and decided, but not yet written...
    const stale = await engine.must(async (ctx) => {
      const agg = await ctx.tx.loadAggregate(contractId);
      const m = agg?.milestones[0];
      if (!agg || !m) throw new Error("contract not found");
      const open = await ctx.tx.findOpenSubmission(m.id);
      return decideAutoApproveMilestone(agg, m, open, decideContext(ctx));
    });
    expect(stale.ledgerCause).toBe(`release:${ids[0]}`);
    // ...when the client's approval, sent a moment before the window ended, commits.
    engine.clock.toDay(14, -1);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!, 40_000));
    engine.clock.toDay(14);
    const postingsBefore = await countRows(engine, "postings");

    await expect(engine.run((ctx) => commitPlan(ctx, ok<Plan>(stale)))).rejects.toThrow(
      ConcurrentChangeError,
    );

    expect(await countRows(engine, "postings")).toBe(postingsBefore);
    expect(await earned(engine, freelancer)).toBe(40_000);
    expect(await escrow(engine, contractId)).toBe(10_000);
    const row = await milestone(engine, ids[0]!);
    expect(row.released_amount).toBe(40_000);
    expect((await submissions(engine, ids[0]!))[0]!.review_outcome).toBe("approved");
    expect(await journalCauses(engine, contractId)).toEqual([
      `fund:${ids[0]}`,
      `release:${ids[0]}`,
    ]);
    expect(await eventsOf(engine, contractId, "milestone.auto_approved")).toEqual([]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R24: day 14 a client approving while the 14-day rule fires moves the money exactly once", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));

    engine.clock.toDay(14);
    const [approval, sweep] = await Promise.all([
      engine.run((ctx) => approveMilestone(ctx, client, ids[0]!)),
      engine.sweep(),
    ]);

    // Exactly one of the two did it; the other found the milestone paid.
    expect(Number(approval.ok) + sweep.fired).toBe(1);
    expect(await statuses(engine, contractId)).toEqual(["paid"]);
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await journalCauses(engine, contractId)).toEqual([
      `fund:${ids[0]}`,
      `release:${ids[0]}`,
    ]);
    const answers = [
      ...(await eventsOf(engine, contractId, "milestone.approved")),
      ...(await eventsOf(engine, contractId, "milestone.auto_approved")),
    ];
    expect(answers).toHaveLength(1);
    expect(await engine.violations()).toEqual([]);
  });

  it("R24: repeating an approval with the same idempotency key returns the first answer and charges and releases once", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);
    engine.clock.toDay(2);
    await engine.must((ctx) => submitWork(ctx, freelancer, ids[0]!, { message: "done" }));

    const approve = (amount: number): CommandSpec<Plan> => ({
      idempotency: {
        userId: client.id,
        endpoint: `POST /v1/milestones/${ids[0]}/approve`,
        key: "approve-once",
        fingerprint: JSON.stringify({ amount }),
      },
      execute: (ctx) => approveMilestone(ctx, client, ids[0]!, amount),
      respond: (result) =>
        Promise.resolve(
          result.ok
            ? { status: 200, body: { status: "paid", releasedAmount: amount } }
            : { status: 409, body: { code: result.code } },
        ),
    });

    engine.clock.toDay(3);
    const first = await runCommand(engine.deps, approve(60_000));
    engine.clock.toDay(3, 60 * 60 * 1000);
    const again = await runCommand(engine.deps, approve(60_000));
    const different = await runCommand(engine.deps, approve(55_000));

    expect(first).toEqual({
      response: { status: 200, body: { status: "paid", releasedAmount: 60_000 } },
      replayed: false,
    });
    expect(again).toEqual({ response: first.response, replayed: true });
    expect(different.response).toEqual({ status: 409, body: { code: "idempotency_key_reused" } });
    expect(await charged(engine, client)).toBe(-60_000);
    expect(await earned(engine, freelancer)).toBe(60_000);
    expect(await eventsOf(engine, contractId, "milestone.approved")).toHaveLength(1);
    // Without a key, a second approval is simply refused by the milestone's state.
    const plain = await engine.run((ctx) => approveMilestone(ctx, client, ids[0]!));
    expect(plain.ok ? "ok" : plain.code).toBe("invalid_state");
    expect(await earned(engine, freelancer)).toBe(60_000);
    expect(await engine.violations()).toEqual([]);
  });
});
