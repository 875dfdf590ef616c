import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { approveRefund } from "../../src/app/use-cases/approve-refund.js";
import { cancelRefund } from "../../src/app/use-cases/cancel-refund.js";
import { disputeRefund } from "../../src/app/use-cases/dispute-refund.js";
import { endContract } from "../../src/app/use-cases/end-contract.js";
import { fundMilestone } from "../../src/app/use-cases/fund-milestone.js";
import { requestRefund } from "../../src/app/use-cases/request-refund.js";
import { resolveDispute } from "../../src/app/use-cases/resolve-dispute.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import { DAY_MS } from "../../src/domain/types.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { FakeClock } from "../support/fake-clock.js";
import {
  charged,
  contractWith,
  earned,
  escrow,
  eventsOf,
  journalCauses,
  milestone,
  outcome,
  parties,
  refundRequests,
  SECOND,
  statuses,
  submissions,
  type Parties,
  type Person,
} from "./calendar.js";

const at = (day: number) => FakeClock.DAY_ZERO + day * DAY_MS;

describe.each(DIALECTS)("refunds and disputes (%s)", (dialect) => {
  let engine: TestEngine;
  let people: Parties;
  let staff: Person;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
    people = await parties(engine);
    staff = await engine.user("Stella", { staff: true, card: null });
  });
  afterEach(() => engine.close());

  /** Day 0 offered and accepted; day 1 submitted; day 2 the client ends. */
  async function endedWithSubmission(amounts: number[] = [50_000, 30_000]) {
    const { client, freelancer } = people;
    const contract = await contractWith(engine, people, amounts);
    engine.clock.toDay(1);
    await engine.must((ctx) => submitWork(ctx, freelancer, contract.ids[0]!, { message: "v1" }));
    engine.clock.toDay(2);
    await engine.must((ctx) => endContract(ctx, client, contract.contractId));
    return contract;
  }

  async function openRequest(contractId: string): Promise<string> {
    const [request] = (await refundRequests(engine, contractId)).filter((r) =>
      ["pending", "disputed"].includes(r.status),
    );
    if (!request) throw new Error("no open refund request");
    return request.id;
  }

  it("R17: a refund can be requested only after the contract has ended, only by the client, for all the escrow", async () => {
    const { client, freelancer } = people;
    const { contractId } = await contractWith(engine, people, [50_000]);

    engine.clock.toDay(1);
    expect(await outcome(engine, (ctx) => requestRefund(ctx, client, contractId))).toBe(
      "invalid_state",
    );
    await engine.must((ctx) => endContract(ctx, client, contractId));
    expect(await outcome(engine, (ctx) => requestRefund(ctx, freelancer, contractId))).toBe(
      "forbidden",
    );

    engine.clock.toDay(2);
    await engine.must((ctx) => requestRefund(ctx, client, contractId, "work never started"));
    const [request] = await refundRequests(engine, contractId);
    expect(request).toMatchObject({
      status: "pending",
      amount: 50_000,
      reason: "work never started",
      respond_by: at(9),
    });
    // Requesting moves no money by itself.
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await charged(engine, client)).toBe(-50_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R17: no refund request when the escrow is empty", async () => {
    const { client, freelancer } = people;
    const paidUp = await contractWith(engine, people, [50_000]);
    engine.clock.toDay(1);
    await engine.must((ctx) => approveMilestone(ctx, client, paidUp.ids[0]!));
    await engine.must((ctx) => endContract(ctx, client, paidUp.contractId));
    expect(await outcome(engine, (ctx) => requestRefund(ctx, client, paidUp.contractId))).toBe(
      "invalid_state",
    );

    // The freelancer who ends gives the escrow back at once: nothing left to request.
    const givenUp = await contractWith(engine, people, [20_000]);
    engine.clock.toDay(2);
    await engine.must((ctx) => endContract(ctx, freelancer, givenUp.contractId));
    expect(await outcome(engine, (ctx) => requestRefund(ctx, client, givenUp.contractId))).toBe(
      "invalid_state",
    );
    expect(await refundRequests(engine, paidUp.contractId)).toEqual([]);
    expect(await refundRequests(engine, givenUp.contractId)).toEqual([]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R17, R20: one open request at a time; after cancelling, a new one may be made", async () => {
    const { client } = people;
    const { contractId } = await contractWith(engine, people, [50_000]);
    engine.clock.toDay(1);
    await engine.must((ctx) => endContract(ctx, client, contractId));
    await engine.must((ctx) => requestRefund(ctx, client, contractId));

    engine.clock.toDay(2);
    expect(await outcome(engine, (ctx) => requestRefund(ctx, client, contractId))).toBe(
      "invalid_state",
    );
    const first = await openRequest(contractId);
    await engine.must((ctx) => cancelRefund(ctx, client, first));
    await engine.must((ctx) => requestRefund(ctx, client, contractId));

    const rows = await refundRequests(engine, contractId);
    expect(rows.map((r) => [r.status, r.respond_by])).toEqual([
      ["cancelled", at(8)],
      ["pending", at(9)],
    ]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R17: day 1 submitted, day 2 ended, day 13 refund requested: the money cannot be released and day 14 brings no auto-approval", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await endedWithSubmission();

    engine.clock.toDay(13);
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    expect(await outcome(engine, (ctx) => approveMilestone(ctx, client, ids[0]!))).toBe(
      "invalid_state",
    );

    engine.clock.toDay(15);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["submitted", "cancelled"]);
    expect(await earned(engine, freelancer)).toBe(0);
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await eventsOf(engine, contractId, "milestone.auto_approved")).toEqual([]);
    expect(await engine.violations()).toEqual([]);
  });

  it("R18: day 3 refund requested; day 4 the freelancer approves: the money goes back to the client", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await endedWithSubmission();

    engine.clock.toDay(3);
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    const requestId = await openRequest(contractId);
    engine.clock.toDay(4);
    expect(await outcome(engine, (ctx) => approveRefund(ctx, client, requestId))).toBe("forbidden");
    await engine.must((ctx) => approveRefund(ctx, freelancer, requestId));

    expect((await refundRequests(engine, contractId))[0]).toMatchObject({
      status: "approved",
      answered_at: at(4),
    });
    expect(await statuses(engine, contractId)).toEqual(["refunded", "cancelled"]);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await charged(engine, client)).toBe(0);
    expect(await earned(engine, freelancer)).toBe(0);
    const [approved] = await eventsOf(engine, contractId, "refund_request.approved");
    expect(approved).toMatchObject({ actor_kind: "user", actor_user_id: freelancer.id });
    // Nothing is left to release, and the milestone's old clock never fires.
    expect(await outcome(engine, (ctx) => approveMilestone(ctx, client, ids[0]!))).toBe(
      "invalid_state",
    );
    engine.clock.toDay(20);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await engine.violations()).toEqual([]);
  });

  it("R18: day 3 refund requested, no answer: day 10 minus 1 second nothing; day 10 auto-approved by the system", async () => {
    const { client, freelancer } = people;
    const { contractId } = await contractWith(engine, people, [50_000, 30_000]);
    engine.clock.toDay(2);
    await engine.must((ctx) => endContract(ctx, client, contractId));
    engine.clock.toDay(3);
    await engine.must((ctx) => requestRefund(ctx, client, contractId));

    engine.clock.toDay(10, -SECOND);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect((await refundRequests(engine, contractId))[0]!.status).toBe("pending");
    expect(await escrow(engine, contractId)).toBe(50_000);

    engine.clock.toDay(10);
    expect(await engine.sweep()).toMatchObject({ fired: 1, skipped: 0 });
    expect((await refundRequests(engine, contractId))[0]).toMatchObject({
      status: "auto_approved",
      answered_at: at(10),
    });
    expect(await statuses(engine, contractId)).toEqual(["refunded", "cancelled"]);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await charged(engine, client)).toBe(0);
    expect(await earned(engine, freelancer)).toBe(0);
    const [auto] = await eventsOf(engine, contractId, "refund_request.auto_approved");
    expect(auto).toMatchObject({ actor_kind: "system", actor_user_id: null, created_at: at(10) });
    expect(await engine.violations()).toEqual([]);
  });

  it("R14, R18: day 1 submitted (review ends day 15), day 2 ended and refund requested (answer due day 9): the refund wins", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await endedWithSubmission();
    await engine.must((ctx) => requestRefund(ctx, client, contractId));

    engine.clock.toDay(9);
    expect(await engine.sweep()).toMatchObject({ fired: 1, skipped: 0 });
    expect((await refundRequests(engine, contractId))[0]!.status).toBe("auto_approved");
    expect(await statuses(engine, contractId)).toEqual(["refunded", "cancelled"]);

    engine.clock.toDay(15);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect((await milestone(engine, ids[0]!)).released_amount).toBe(0);
    expect(await earned(engine, freelancer)).toBe(0);
    expect(await charged(engine, client)).toBe(0);
    expect(await eventsOf(engine, contractId, "milestone.auto_approved")).toEqual([]);
    expect(await journalCauses(engine, contractId)).not.toContain(`release:${ids[0]}`);
    expect(await engine.violations()).toEqual([]);
  });

  it("R18, R23: when the first sweep runs on day 20, after both windows ended, the refund that fell due first still wins", async () => {
    const { client, freelancer } = people;
    const { contractId } = await endedWithSubmission();
    await engine.must((ctx) => requestRefund(ctx, client, contractId));

    engine.clock.toDay(20);
    expect(await engine.sweep()).toMatchObject({ fired: 1, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["refunded", "cancelled"]);
    expect(await earned(engine, freelancer)).toBe(0);
    expect(await charged(engine, client)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R19: day 3 requested, day 4 disputed: frozen through day 30; day 31 staff split 20,000 refund / 30,000 release to the milestone", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await endedWithSubmission();
    engine.clock.toDay(3);
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    const requestId = await openRequest(contractId);
    engine.clock.toDay(4);
    await engine.must((ctx) => disputeRefund(ctx, freelancer, requestId, "the work was delivered"));
    const [request] = await refundRequests(engine, contractId);
    expect(request).toMatchObject({ status: "disputed", answered_at: at(4) });
    const disputeId = request!.dispute_id!;

    // Disputed: no cancel, no release, no timed rule.
    expect(await outcome(engine, (ctx) => cancelRefund(ctx, client, requestId))).toBe(
      "invalid_state",
    );
    expect(await outcome(engine, (ctx) => approveMilestone(ctx, client, ids[0]!))).toBe(
      "invalid_state",
    );
    expect(await outcome(engine, (ctx) => approveRefund(ctx, freelancer, requestId))).toBe(
      "invalid_state",
    );
    expect(await outcome(engine, (ctx) => requestRefund(ctx, client, contractId))).toBe(
      "invalid_state",
    );
    engine.clock.toDay(30);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["submitted", "cancelled"]);
    expect(await escrow(engine, contractId)).toBe(50_000);

    engine.clock.toDay(31);
    await engine.must((ctx) =>
      resolveDispute(ctx, staff, disputeId, {
        refundAmount: 20_000,
        releaseAmount: 30_000,
        reason: "the design was delivered, the build was not",
      }),
    );

    const dispute = await engine.database.handle.db
      .selectFrom("disputes")
      .selectAll()
      .where("id", "=", disputeId)
      .executeTakeFirstOrThrow();
    expect(dispute).toMatchObject({
      status: "resolved",
      amount: 50_000,
      refund_amount: 20_000,
      release_amount: 30_000,
      resolution_reason: "the design was delivered, the build was not",
      resolved_by: staff.id,
      resolved_at: at(31),
    });
    expect((await refundRequests(engine, contractId))[0]!.status).toBe("resolved");
    const row = await milestone(engine, ids[0]!);
    expect(row).toMatchObject({ status: "paid", released_amount: 30_000 });
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await earned(engine, freelancer)).toBe(30_000);
    expect(await charged(engine, client)).toBe(-30_000);
    const [resolved] = await eventsOf(engine, contractId, "dispute.resolved");
    expect(resolved).toMatchObject({ actor_kind: "staff", actor_user_id: staff.id });
    expect(JSON.parse(resolved!.data)).toMatchObject({
      refundAmount: 20_000,
      releaseAmount: 30_000,
      reason: "the design was delivered, the build was not",
    });
    // Resolved once: a second decision is refused, and a new request finds no escrow.
    expect(
      await outcome(engine, (ctx) =>
        resolveDispute(ctx, staff, disputeId, {
          refundAmount: 50_000,
          releaseAmount: 0,
          reason: "again",
        }),
      ),
    ).toBe("invalid_state");
    expect(await outcome(engine, (ctx) => requestRefund(ctx, client, contractId))).toBe(
      "invalid_state",
    );
    expect(await engine.violations()).toEqual([]);
  });

  it("R19: the two parts must add up to the disputed amount, and only staff decide", async () => {
    const { client, freelancer } = people;
    const { contractId } = await endedWithSubmission();
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    const requestId = await openRequest(contractId);
    await engine.must((ctx) => disputeRefund(ctx, freelancer, requestId, "no"));
    const disputeId = (await refundRequests(engine, contractId))[0]!.dispute_id!;
    const split = { refundAmount: 20_000, releaseAmount: 20_000, reason: "half-ish" };

    const short = await engine.run((ctx) => resolveDispute(ctx, staff, disputeId, split));
    expect(short.ok ? null : [short.code, short.field]).toEqual([
      "validation_failed",
      "refundAmount",
    ]);
    const over = await engine.run((ctx) =>
      resolveDispute(ctx, staff, disputeId, { ...split, releaseAmount: 30_001 }),
    );
    expect(over.ok ? null : over.field).toBe("refundAmount");
    const fair = { ...split, releaseAmount: 30_000 };
    expect(await outcome(engine, (ctx) => resolveDispute(ctx, client, disputeId, fair))).toBe(
      "forbidden",
    );
    expect(await outcome(engine, (ctx) => resolveDispute(ctx, freelancer, disputeId, fair))).toBe(
      "forbidden",
    );

    expect((await refundRequests(engine, contractId))[0]!.status).toBe("disputed");
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await earned(engine, freelancer)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R15, R19: with unallocated escrow beside a funded milestone, a release of 0 refunds everything and the milestone is refunded", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000, 10_000]);
    engine.clock.toDay(1);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!, 20_000));
    await engine.must((ctx) => fundMilestone(ctx, client, ids[1]!));
    expect(await escrow(engine, contractId)).toBe(30_000);
    engine.clock.toDay(2);
    await engine.must((ctx) => endContract(ctx, client, contractId));
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    expect((await refundRequests(engine, contractId))[0]!.amount).toBe(30_000);
    const requestId = await openRequest(contractId);
    engine.clock.toDay(3);
    await engine.must((ctx) => disputeRefund(ctx, freelancer, requestId, "no"));
    const disputeId = (await refundRequests(engine, contractId))[0]!.dispute_id!;

    engine.clock.toDay(5);
    await engine.must((ctx) =>
      resolveDispute(ctx, staff, disputeId, {
        refundAmount: 30_000,
        releaseAmount: 0,
        reason: "nothing delivered for milestone 2",
      }),
    );
    expect(await statuses(engine, contractId)).toEqual(["paid", "refunded"]);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await earned(engine, freelancer)).toBe(20_000);
    expect(await charged(engine, client)).toBe(-20_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R15, R17, R18: escrow left unallocated by a partial release is refunded on request once every milestone is paid", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);
    engine.clock.toDay(1);
    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!, 35_000));
    engine.clock.toDay(2);
    await engine.must((ctx) => endContract(ctx, client, contractId));
    await engine.must((ctx) => requestRefund(ctx, client, contractId, "left over"));
    expect((await refundRequests(engine, contractId))[0]!.amount).toBe(15_000);

    engine.clock.toDay(3);
    const requestId = await openRequest(contractId);
    await engine.must((ctx) => approveRefund(ctx, freelancer, requestId));
    expect(await statuses(engine, contractId)).toEqual(["paid"]);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await charged(engine, client)).toBe(-35_000);
    expect(await earned(engine, freelancer)).toBe(35_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R20: day 3 requested, day 5 the client cancels: the money stays in escrow and the client may release it", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await contractWith(engine, people, [50_000]);
    engine.clock.toDay(2);
    await engine.must((ctx) => endContract(ctx, client, contractId));
    engine.clock.toDay(3);
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    const requestId = await openRequest(contractId);

    engine.clock.toDay(5);
    expect(await outcome(engine, (ctx) => cancelRefund(ctx, freelancer, requestId))).toBe(
      "forbidden",
    );
    await engine.must((ctx) => cancelRefund(ctx, client, requestId));
    expect((await refundRequests(engine, contractId))[0]).toMatchObject({
      status: "cancelled",
      answered_at: at(5),
    });
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await statuses(engine, contractId)).toEqual(["funded"]);

    // The cancelled request's day-10 deadline does nothing; the freelancer can no longer answer.
    engine.clock.toDay(11);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await escrow(engine, contractId)).toBe(50_000);
    expect(await outcome(engine, (ctx) => approveRefund(ctx, freelancer, requestId))).toBe(
      "invalid_state",
    );

    await engine.must((ctx) => approveMilestone(ctx, client, ids[0]!));
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await escrow(engine, contractId)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R20: a request the freelancer already approved can no longer be cancelled", async () => {
    const { client, freelancer } = people;
    const { contractId } = await contractWith(engine, people, [50_000]);
    await engine.must((ctx) => endContract(ctx, client, contractId));
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    const requestId = await openRequest(contractId);
    await engine.must((ctx) => approveRefund(ctx, freelancer, requestId));

    expect(await outcome(engine, (ctx) => cancelRefund(ctx, client, requestId))).toBe(
      "invalid_state",
    );
    expect((await refundRequests(engine, contractId))[0]!.status).toBe("approved");
    expect(await charged(engine, client)).toBe(0);
    expect(await engine.violations()).toEqual([]);
  });

  it("R14, R20: day 1 submitted (review ends day 15), day 10 refund requested, day 15 held, day 16 cancelled: the auto-approval runs at once", async () => {
    const { client, freelancer } = people;
    const { contractId, ids } = await endedWithSubmission();
    engine.clock.toDay(10);
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    const requestId = await openRequest(contractId);

    engine.clock.toDay(15);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["submitted", "cancelled"]);

    engine.clock.toDay(16);
    await engine.must((ctx) => cancelRefund(ctx, client, requestId));

    const row = await milestone(engine, ids[0]!);
    expect(row).toMatchObject({ status: "paid", released_amount: 50_000, auto_approve_at: null });
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await escrow(engine, contractId)).toBe(0);
    const [auto] = await eventsOf(engine, contractId, "milestone.auto_approved");
    expect(auto!.created_at).toBe(at(16));
    expect(JSON.parse(auto!.data)).toMatchObject({ milestoneId: ids[0], releasedAmount: 50_000 });
    expect((await submissions(engine, ids[0]!))[0]!.review_outcome).toBe("auto_approved");
    engine.clock.toDay(17);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await engine.violations()).toEqual([]);
  });

  it("R14, R20: a review window still running when the request is cancelled keeps its original end (day 15), no time added", async () => {
    const { client, freelancer } = people;
    const { contractId } = await endedWithSubmission();
    engine.clock.toDay(10);
    await engine.must((ctx) => requestRefund(ctx, client, contractId));
    const requestId = await openRequest(contractId);
    engine.clock.toDay(12);
    await engine.must((ctx) => cancelRefund(ctx, client, requestId));
    expect(await statuses(engine, contractId)).toEqual(["submitted", "cancelled"]);

    engine.clock.toDay(15, -SECOND);
    expect(await engine.sweep()).toMatchObject({ fired: 0, skipped: 0 });
    engine.clock.toDay(15);
    expect(await engine.sweep()).toMatchObject({ fired: 1, skipped: 0 });
    expect(await statuses(engine, contractId)).toEqual(["paid", "cancelled"]);
    expect(await earned(engine, freelancer)).toBe(50_000);
    expect(await engine.violations()).toEqual([]);
  });
});
