import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acceptOffer } from "../../src/app/use-cases/accept-offer.js";
import { addPaymentMethod } from "../../src/app/use-cases/add-payment-method.js";
import { declineOffer } from "../../src/app/use-cases/decline-offer.js";
import { makeOffer } from "../../src/app/use-cases/make-offer.js";
import { withdrawOffer } from "../../src/app/use-cases/withdraw-offer.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { contractRow, eventTypes, milestoneRows } from "../support/read.js";
import {
  charged,
  contractWith,
  countRows,
  earned,
  escrow,
  events,
  journalCauses,
  outcome,
  parties,
  statuses,
  type Parties,
} from "./calendar.js";

describe.each(DIALECTS)("offers (%s)", (dialect) => {
  let engine: TestEngine;
  let people: Parties;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
    people = await parties(engine);
  });
  afterEach(() => engine.close());

  it("R5, R7: day 0: sending an offer charges the first milestone into escrow; the rest wait unfunded", async () => {
    const { client, freelancer } = people;
    const { contractId } = await contractWith(engine, people, [50_000, 30_000, 20_000], {
      accept: false,
    });

    expect((await contractRow(engine, contractId)).status).toBe("offered");
    expect(await statuses(engine, contractId)).toEqual(["funded", "pending", "pending"]);
    const [first] = await milestoneRows(engine, contractId);
    expect(first!.funded_amount).toBe(50_000);
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await charged(engine, client)).toBe(-50_000);
    expect(await earned(engine, freelancer)).toBe(0);
    expect(await eventTypes(engine, contractId)).toEqual(["contract.offered", "milestone.funded"]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R5, R7: a charge the provider declines creates no contract, no milestones, no ledger rows and no events", async () => {
    const broke = await engine.user("Dora", { card: "tok_chargeDeclined" });
    const result = await engine.run((ctx) =>
      makeOffer(ctx, broke, {
        freelancerEmail: people.freelancer.email,
        title: "Logo",
        currency: "USD",
        milestones: [{ title: "Sketches", amount: 10_000 }],
      }),
    );

    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe("payment_failed");
    expect(await countRows(engine, "contracts")).toBe(0);
    expect(await countRows(engine, "milestones")).toBe(0);
    expect(await countRows(engine, "journal_entries")).toBe(0);
    expect(await countRows(engine, "postings")).toBe(0);
    expect(await countRows(engine, "events")).toBe(0);
    expect(await charged(engine, broke)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R7: a client with no card gets payment_method_required and nothing is created; adding a card then works", async () => {
    const cardless = await engine.user("Nina", { card: null });
    const offer = (ctx: Parameters<typeof makeOffer>[0]) =>
      makeOffer(ctx, cardless, {
        freelancerEmail: people.freelancer.email,
        title: "Logo",
        currency: "USD",
        milestones: [{ title: "Sketches", amount: 10_000 }],
      });

    expect(await outcome(engine, offer)).toBe("payment_method_required");
    expect(await countRows(engine, "contracts")).toBe(0);
    expect(await countRows(engine, "postings")).toBe(0);

    await engine.must((ctx) => addPaymentMethod(ctx, cardless.id, "tok_visa"));
    const { contractId } = await engine.must(offer);
    expect(await escrow(engine, contractId)).toBe(10_000);
    expect(await charged(engine, cardless)).toBe(-10_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R8: day 0 offered; day 2 the freelancer declines: the funded milestone is refunded at once, the others cancelled", async () => {
    const { client, freelancer } = people;
    const { contractId } = await contractWith(engine, people, [50_000, 30_000, 20_000], {
      accept: false,
    });

    engine.clock.toDay(2);
    await engine.must((ctx) => declineOffer(ctx, freelancer, contractId));

    const contract = await contractRow(engine, contractId);
    expect(contract.status).toBe("declined");
    expect(contract.escrow_balance).toBe(0);
    expect(await statuses(engine, contractId)).toEqual(["refunded", "cancelled", "cancelled"]);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await charged(engine, client)).toBe(0);
    expect(await earned(engine, freelancer)).toBe(0);
    expect(await journalCauses(engine, contractId)).toHaveLength(2);
    expect(await eventTypes(engine, contractId)).toEqual([
      "contract.offered",
      "milestone.funded",
      "contract.declined",
      "milestone.refunded",
    ]);
    // A declined offer is over: it can no longer be accepted.
    expect(await outcome(engine, (ctx) => acceptOffer(ctx, freelancer, contractId))).toBe(
      "invalid_state",
    );
    expect(await engine.violations()).toEqual([]);
  });

  it("R8: day 0 offered; day 1 the client withdraws: escrow back at once, no approval needed", async () => {
    const { client, freelancer } = people;
    const { contractId } = await contractWith(engine, people, [40_000, 10_000], {
      accept: false,
    });

    engine.clock.toDay(1);
    await engine.must((ctx) => withdrawOffer(ctx, client, contractId));

    expect((await contractRow(engine, contractId)).status).toBe("withdrawn");
    expect(await statuses(engine, contractId)).toEqual(["refunded", "cancelled"]);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await charged(engine, client)).toBe(0);
    const withdrawn = (await events(engine, contractId)).find(
      (e) => e.type === "contract.withdrawn",
    );
    expect(withdrawn).toMatchObject({ actor_kind: "user", actor_user_id: client.id });
    expect(await outcome(engine, (ctx) => acceptOffer(ctx, freelancer, contractId))).toBe(
      "invalid_state",
    );
    expect(await engine.violations()).toEqual([]);
  });

  it("R8: only the freelancer accepts or declines and only the client withdraws; once accepted, neither is possible", async () => {
    const { client, freelancer } = people;
    const { contractId } = await contractWith(engine, people, [40_000], { accept: false });

    expect(await outcome(engine, (ctx) => acceptOffer(ctx, client, contractId))).toBe("forbidden");
    expect(await outcome(engine, (ctx) => declineOffer(ctx, client, contractId))).toBe("forbidden");
    expect(await outcome(engine, (ctx) => withdrawOffer(ctx, freelancer, contractId))).toBe(
      "forbidden",
    );

    engine.clock.toDay(1);
    await engine.must((ctx) => acceptOffer(ctx, freelancer, contractId));
    const contract = await contractRow(engine, contractId);
    expect(contract.status).toBe("active");
    expect(contract.accepted_at).toBe(engine.clock.current);

    expect(await outcome(engine, (ctx) => withdrawOffer(ctx, client, contractId))).toBe(
      "invalid_state",
    );
    expect(await outcome(engine, (ctx) => declineOffer(ctx, freelancer, contractId))).toBe(
      "invalid_state",
    );
    expect(await escrow(engine, contractId)).toBe(40_000);
    expect(await statuses(engine, contractId)).toEqual(["funded"]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R5, R8: the refund of a declined offer goes back even when the client's newest card declines charges", async () => {
    const { client, freelancer } = people;
    const { contractId } = await contractWith(engine, people, [25_000], { accept: false });
    await engine.must((ctx) => addPaymentMethod(ctx, client.id, "tok_chargeDeclined"));

    engine.clock.toDay(3);
    await engine.must((ctx) => declineOffer(ctx, freelancer, contractId));

    expect(await statuses(engine, contractId)).toEqual(["refunded"]);
    expect(await charged(engine, client)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });
});
