import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acceptOffer } from "../../src/app/use-cases/accept-offer.js";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { fundMilestone } from "../../src/app/use-cases/fund-milestone.js";
import { makeOffer } from "../../src/app/use-cases/make-offer.js";
import { requestChanges } from "../../src/app/use-cases/request-changes.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { balance, contractRow, milestoneRows } from "../support/read.js";

describe.each(DIALECTS)("a whole contract (%s)", (dialect) => {
  let engine: TestEngine;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
  });
  afterEach(() => engine.close());

  it("R7, R11, R13, R15: offer, accept, submit, request changes, resubmit, approve less, fund next from unallocated", async () => {
    const client = await engine.user("Carol");
    const freelancer = await engine.user("Frank");
    const { contractId } = await engine.must((ctx) =>
      makeOffer(ctx, client, {
        freelancerEmail: freelancer.email,
        title: "Website",
        currency: "USD",
        milestones: [
          { title: "Design", amount: 50_000 },
          { title: "Build", amount: 30_000 },
        ],
      }),
    );
    expect(await balance(engine, `escrow:${contractId}`)).toBe(50_000);
    await engine.must((ctx) => acceptOffer(ctx, freelancer, contractId));
    const [design, build] = await milestoneRows(engine, contractId);
    await engine.must((ctx) => submitWork(ctx, freelancer, design!.id, { message: "v1" }));
    await engine.must((ctx) => requestChanges(ctx, client, design!.id, "bigger logo"));
    await engine.must((ctx) => submitWork(ctx, freelancer, design!.id, { message: "v2" }));
    await engine.must((ctx) => approveMilestone(ctx, client, design!.id, 40_000));
    expect((await contractRow(engine, contractId)).escrow_balance).toBe(10_000);
    await engine.must((ctx) => fundMilestone(ctx, client, build!.id));
    expect(await balance(engine, `payment_source:${client.id}`)).toBe(-70_000);
    expect(await balance(engine, `earnings:${freelancer.id}`)).toBe(40_000);
    expect((await contractRow(engine, contractId)).escrow_balance).toBe(30_000);
    expect(await engine.violations()).toEqual([]);
  });
});
