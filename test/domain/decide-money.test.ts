/**
 * The money math of the decide functions: what a plan charges and which movements it writes
 * (R7, R9, R11, R13, R15, R17-R20). The escrow balance of a plan always follows its movements,
 * and the unallocated escrow (R15) is what is left when the holding milestones are taken off.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  unallocatedEscrow,
  type ContractAggregate,
  type Plan,
} from "../../src/domain/aggregate.js";
import { decideEnd, decideOffer, decideWithdraw } from "../../src/domain/contract-rules.js";
import { assertBalanced, postingsFor } from "../../src/domain/ledger.js";
import {
  decideApproveMilestone,
  decideAutoApproveMilestone,
  decideFundMilestone,
  decideSubmitWork,
} from "../../src/domain/milestone-rules.js";
import {
  decideApproveRefund,
  decideCancelRefund,
  decideRequestRefund,
  decideResolveDispute,
} from "../../src/domain/refund-rules.js";
import type { MilestoneStatus } from "../../src/domain/types.js";
import {
  applyPlan,
  CLIENT,
  context,
  expectFailure,
  FREELANCER,
  makeAggregate,
  makeDispute,
  makeMilestone,
  makeRefundRequest,
  NOW,
  planOf,
  STAFF,
} from "./fixtures.js";

const MAX = 10_000_000_000;
const amountArb = fc.integer({ min: 1, max: MAX });

/** Every movement of the plan posts as a balanced entry (R4). */
function expectBalanced(plan: Plan, agg: ContractAggregate): void {
  const parties = {
    contractId: agg.contract.id,
    clientId: agg.contract.clientId,
    freelancerId: agg.contract.freelancerId,
  };
  if (plan.movements.length === 0) return;
  expect(() =>
    assertBalanced(plan.movements.flatMap((m) => postingsFor(parties, m))),
  ).not.toThrow();
}

describe("R15: approving a different amount", () => {
  function funded(amount: number, status: MilestoneStatus = "submitted") {
    const milestone = makeMilestone(1, status, { amount });
    return { milestone, agg: makeAggregate({ milestones: [milestone] }) };
  }

  it("R13: approving without an amount releases the funded amount and charges nothing", () => {
    const { milestone, agg } = funded(50_000);
    const plan = planOf(decideApproveMilestone(agg, CLIENT, milestone, null, undefined, context()));
    expect(plan.charge).toBe(0);
    expect(plan.movements).toEqual([{ kind: "release", amount: 50_000, milestoneId: "ms_1" }]);
    expect(plan.milestones[0]).toMatchObject({ status: "paid", releasedAmount: 50_000 });
    expect(plan.contract.escrowBalance).toBe(0);
  });

  it("R15: approving less releases the smaller amount and leaves the rest as unallocated escrow", () => {
    const { milestone, agg } = funded(50_000);
    const plan = planOf(decideApproveMilestone(agg, CLIENT, milestone, null, 40_000, context()));
    expect(plan.charge).toBe(0);
    expect(plan.movements).toEqual([{ kind: "release", amount: 40_000, milestoneId: "ms_1" }]);
    expect(plan.milestones[0]).toMatchObject({
      status: "paid",
      fundedAmount: 50_000,
      releasedAmount: 40_000,
    });
    expect(plan.contract.escrowBalance).toBe(10_000);
    expect(unallocatedEscrow(applyPlan(agg, plan))).toBe(10_000);
  });

  it("R15: approving more charges the difference and releases funded + extra in one plan", () => {
    const { milestone, agg } = funded(50_000, "funded");
    const plan = planOf(decideApproveMilestone(agg, CLIENT, milestone, null, 65_000, context()));
    expect(plan.charge).toBe(15_000);
    expect(plan.movements).toEqual([
      { kind: "release", amount: 50_000, milestoneId: "ms_1" },
      { kind: "extra", amount: 15_000, milestoneId: "ms_1" },
    ]);
    expect(plan.milestones[0]).toMatchObject({ status: "paid", releasedAmount: 65_000 });
    expect(plan.contract.escrowBalance).toBe(0);
    expect(plan.ledgerCause).toBe("release:ms_1");
  });

  it("R15: for any funded and approved amount, charge, release and escrow add up", () => {
    fc.assert(
      fc.property(amountArb, amountArb, fc.nat({ max: MAX }), (fundedAmount, amount, spare) => {
        const milestone = makeMilestone(1, "submitted", { amount: fundedAmount });
        // `spare` is unallocated escrow left from an earlier partial release.
        const agg = makeAggregate({ milestones: [milestone], unallocated: spare });
        const plan = planOf(
          decideApproveMilestone(agg, CLIENT, milestone, null, amount, context()),
        );
        const released = plan.movements
          .filter((m) => m.kind === "release" || m.kind === "extra")
          .reduce((sum, m) => sum + m.amount, 0);
        expect(released).toBe(amount);
        expect(plan.charge).toBe(Math.max(0, amount - fundedAmount));
        expect(plan.movements.find((m) => m.kind === "release")?.amount).toBe(
          Math.min(amount, fundedAmount),
        );
        expect(plan.movements.some((m) => m.kind === "extra")).toBe(amount > fundedAmount);
        expect(plan.contract.escrowBalance).toBe(
          agg.contract.escrowBalance - Math.min(amount, fundedAmount),
        );
        expect(unallocatedEscrow(applyPlan(agg, plan))).toBe(
          spare + Math.max(0, fundedAmount - amount),
        );
        expectBalanced(plan, agg);
      }),
    );
  });

  it.each([
    [999, 0, [{ kind: "release", amount: 999, milestoneId: "ms_1" }], 1],
    [1_000, 0, [{ kind: "release", amount: 1_000, milestoneId: "ms_1" }], 0],
    [
      1_001,
      1,
      [
        { kind: "release", amount: 1_000, milestoneId: "ms_1" },
        { kind: "extra", amount: 1, milestoneId: "ms_1" },
      ],
      0,
    ],
  ])(
    "R15: approving %i of 1,000 funded charges %i (boundaries one unit either side)",
    (amount, charge, movements, left) => {
      const { milestone, agg } = funded(1_000);
      const plan = planOf(decideApproveMilestone(agg, CLIENT, milestone, null, amount, context()));
      expect(plan.charge).toBe(charge);
      expect(plan.movements).toEqual(movements);
      expect(plan.contract.escrowBalance).toBe(left);
    },
  );

  it("R15, R3: an approve amount outside 1..10^10 is validation_failed on field amount", () => {
    const { milestone, agg } = funded(50_000);
    for (const amount of [0, -5, 1.5, MAX + 1]) {
      expectFailure(
        decideApproveMilestone(agg, CLIENT, milestone, null, amount, context()),
        "validation_failed",
        "amount",
      );
    }
  });

  it("R13: approving answers the open submission as approved", () => {
    const { milestone, agg } = funded(1_000);
    const submission = {
      id: "sub_1",
      milestoneId: milestone.id,
      message: "done",
      links: [],
      createdAt: NOW - 1,
      reviewOutcome: null,
      reviewMessage: null,
      reviewedAt: null,
    };
    const plan = planOf(
      decideApproveMilestone(agg, CLIENT, milestone, submission, undefined, context()),
    );
    expect(plan.submissions).toMatchObject([{ id: "sub_1", reviewOutcome: "approved" }]);
    expect(plan.milestones[0]?.autoApproveAt).toBeNull();
  });
});

describe("R11: funding in order, from unallocated escrow first", () => {
  /** Milestone 1 paid with `released` of 1,000 released; milestone 2 pending for `amount`. */
  function afterPartialRelease(released: number, amount: number, extraUnallocated = 0) {
    const first = makeMilestone(1, "paid", { amount: 1_000, releasedAmount: released });
    const next = makeMilestone(2, "pending", { amount });
    const agg = makeAggregate({
      milestones: [first, next],
      unallocated: 1_000 - released + extraUnallocated,
    });
    return { agg, next };
  }

  it("R11: funding charges only what unallocated escrow does not cover", () => {
    const { agg, next } = afterPartialRelease(600, 1_000);
    expect(unallocatedEscrow(agg)).toBe(400);
    const plan = planOf(decideFundMilestone(agg, CLIENT, next));
    expect(plan.charge).toBe(600);
    expect(plan.movements).toEqual([{ kind: "deposit", amount: 600, milestoneId: "ms_2" }]);
    expect(plan.milestones[0]).toMatchObject({ status: "funded", fundedAmount: 1_000 });
    expect(plan.contract.escrowBalance).toBe(1_000);
    expect(unallocatedEscrow(applyPlan(agg, plan))).toBe(0);
  });

  it("R11: funding charges nothing when unallocated escrow covers the whole milestone", () => {
    const { agg, next } = afterPartialRelease(0, 700, 300);
    expect(unallocatedEscrow(agg)).toBe(1_300);
    const plan = planOf(decideFundMilestone(agg, CLIENT, next));
    expect(plan.charge).toBe(0);
    expect(plan.movements).toEqual([]);
    expect(plan.ledgerCause).toBeNull();
    expect(plan.contract.escrowBalance).toBe(1_300);
    expect(plan.milestones[0]).toMatchObject({ status: "funded", fundedAmount: 700 });
    expect(unallocatedEscrow(applyPlan(agg, plan))).toBe(600);
  });

  it("R11: funding with no unallocated escrow charges the full amount", () => {
    const { agg, next } = afterPartialRelease(1_000, 2_500);
    const plan = planOf(decideFundMilestone(agg, CLIENT, next));
    expect(plan.charge).toBe(2_500);
    expect(plan.movements).toEqual([{ kind: "deposit", amount: 2_500, milestoneId: "ms_2" }]);
  });

  it("R11: for any unallocated escrow and amount, charge = amount - what unallocated covers", () => {
    fc.assert(
      fc.property(fc.nat({ max: MAX }), amountArb, (unallocated, amount) => {
        const first = makeMilestone(1, "paid");
        const next = makeMilestone(2, "pending", { amount });
        const agg = makeAggregate({ milestones: [first, next], unallocated });
        const plan = planOf(decideFundMilestone(agg, CLIENT, next));
        const charge = Math.max(0, amount - unallocated);
        expect(plan.charge).toBe(charge);
        expect(plan.movements).toEqual(
          charge > 0 ? [{ kind: "deposit", amount: charge, milestoneId: "ms_2" }] : [],
        );
        expect(plan.contract.escrowBalance).toBe(unallocated + charge);
        expect(unallocatedEscrow(applyPlan(agg, plan))).toBe(Math.max(0, unallocated - amount));
        expectBalanced(plan, agg);
      }),
    );
  });

  it.each(["pending", "funded", "submitted", "changes_requested"] as const)(
    "R11: a milestone cannot be funded while an earlier one is %s",
    (earlier) => {
      const next = makeMilestone(2, "pending");
      const agg = makeAggregate({ milestones: [makeMilestone(1, earlier), next] });
      expectFailure(decideFundMilestone(agg, CLIENT, next), "invalid_state");
    },
  );

  it.each(["funded", "submitted", "changes_requested"] as const)(
    "R11: a milestone cannot be funded while a later one is %s (one funded at a time)",
    (later) => {
      const first = makeMilestone(1, "pending");
      const agg = makeAggregate({ milestones: [first, makeMilestone(2, later)] });
      expectFailure(decideFundMilestone(agg, CLIENT, first), "invalid_state");
    },
  );

  it("R11: a milestone can be funded when every earlier one is paid or cancelled", () => {
    const third = makeMilestone(3, "pending");
    const agg = makeAggregate({
      milestones: [
        makeMilestone(1, "paid"),
        makeMilestone(2, "cancelled"),
        third,
        makeMilestone(4, "pending"),
      ],
    });
    expect(planOf(decideFundMilestone(agg, CLIENT, third)).milestones[0]?.status).toBe("funded");
  });

  it("R11: skipping ahead past a pending milestone is refused", () => {
    const third = makeMilestone(3, "pending");
    const agg = makeAggregate({
      milestones: [makeMilestone(1, "paid"), makeMilestone(2, "pending"), third],
    });
    expectFailure(decideFundMilestone(agg, CLIENT, third), "invalid_state");
  });
});

describe("R9: ending a contract", () => {
  /** Milestone 1 paid leaving 300 unallocated, 2 holding in `status`, 3 pending. */
  function midway(status: MilestoneStatus) {
    return makeAggregate({
      milestones: [
        makeMilestone(1, "paid", { releasedAmount: 700 }),
        makeMilestone(2, status, { amount: 2_000 }),
        makeMilestone(3, "pending"),
      ],
      unallocated: 300,
    });
  }

  it.each(["funded", "changes_requested"] as const)(
    "R9: the freelancer ending refunds all the escrow at once (milestone 2 %s)",
    (status) => {
      const agg = midway(status);
      const plan = planOf(decideEnd(agg, FREELANCER, "", context()));
      expect(plan.contract).toMatchObject({ status: "ended", endedBy: "freelancer" });
      expect(plan.charge).toBe(0);
      expect(plan.movements).toEqual([{ kind: "refund", amount: 2_300, milestoneId: null }]);
      expect(plan.contract.escrowBalance).toBe(0);
      const byId = new Map(plan.milestones.map((m) => [m.id, m.status]));
      expect(byId.get("ms_2")).toBe("refunded");
      expect(byId.get("ms_3")).toBe("cancelled");
      expect(byId.has("ms_1")).toBe(false);
      expectBalanced(plan, agg);
    },
  );

  it("R9: a freelancer's refund names the milestone when it holds all the escrow", () => {
    const agg = makeAggregate({ milestones: [makeMilestone(1, "funded", { amount: 900 })] });
    const plan = planOf(decideEnd(agg, FREELANCER, "", context()));
    expect(plan.movements).toEqual([{ kind: "refund", amount: 900, milestoneId: "ms_1" }]);
  });

  it("R9: the freelancer cannot end while a submission awaits review", () => {
    expectFailure(decideEnd(midway("submitted"), FREELANCER, "", context()), "invalid_state");
  });

  it("R9: the client ending keeps the escrow and the submission's clock, cancels unfunded ones", () => {
    const agg = midway("submitted");
    const plan = planOf(decideEnd(agg, CLIENT, "no longer needed", context()));
    expect(plan.contract).toMatchObject({
      status: "ended",
      endedBy: "client",
      escrowBalance: 2_300,
    });
    expect(plan.charge).toBe(0);
    expect(plan.movements).toEqual([]);
    expect(plan.milestones).toEqual([{ ...agg.milestones[2], status: "cancelled" }]);
    const after = applyPlan(agg, plan);
    expect(after.milestones[1]).toEqual(agg.milestones[1]);
    expect(unallocatedEscrow(after)).toBe(300);
  });

  it("R9: an ended contract with a client-kept submission still auto-approves and releases", () => {
    const agg = planAndApply(midway("submitted"), (a) => decideEnd(a, CLIENT, "", context()));
    const submitted = agg.milestones[1]!;
    const due = context(submitted.autoApproveAt!);
    const plan = planOf(decideAutoApproveMilestone(agg, submitted, null, due));
    expect(plan.movements).toEqual([{ kind: "release", amount: 2_000, milestoneId: "ms_2" }]);
    expect(plan.contract.escrowBalance).toBe(300);
  });

  it("R8: withdrawing an offer refunds its escrow and cancels the other milestones", () => {
    const agg = makeAggregate({
      contract: { status: "offered" },
      milestones: [makeMilestone(1, "funded", { amount: 4_000 }), makeMilestone(2, "pending")],
    });
    const plan = planOf(decideWithdraw(agg, CLIENT, context()));
    expect(plan.movements).toEqual([{ kind: "refund", amount: 4_000, milestoneId: "ms_1" }]);
    expect(plan.milestones.map((m) => [m.id, m.status])).toEqual([
      ["ms_1", "refunded"],
      ["ms_2", "cancelled"],
    ]);
    expect(plan.contract.escrowBalance).toBe(0);
  });

  it("R7: an offer charges and deposits exactly its first milestone", () => {
    fc.assert(
      fc.property(amountArb, amountArb, (first, second) => {
        const plan = planOf(
          decideOffer(
            {
              clientId: CLIENT.userId,
              freelancerId: FREELANCER.userId,
              title: "Website",
              currency: "USD",
              milestones: [
                { title: "Design", amount: first },
                { title: "Build", amount: second },
              ],
              reviewWindowDays: 14,
              refundWindowDays: 7,
            },
            context(),
          ),
        );
        expect(plan.charge).toBe(first);
        expect(plan.movements).toEqual([
          { kind: "deposit", amount: first, milestoneId: plan.milestones[0]!.id },
        ]);
        expect(plan.contract.escrowBalance).toBe(first);
        expect(plan.milestones.map((m) => [m.status, m.fundedAmount])).toEqual([
          ["funded", first],
          ["pending", 0],
        ]);
      }),
    );
  });

  it("R6: an offer to oneself is refused", () => {
    const result = decideOffer(
      {
        clientId: CLIENT.userId,
        freelancerId: CLIENT.userId,
        title: "Website",
        currency: "USD",
        milestones: [{ title: "Design", amount: 1 }],
        reviewWindowDays: 14,
        refundWindowDays: 7,
      },
      context(),
    );
    expectFailure(result, "validation_failed", "freelancerEmail");
  });
});

function planAndApply(
  agg: ContractAggregate,
  decide: (agg: ContractAggregate) => ReturnType<typeof decideEnd>,
): ContractAggregate {
  return applyPlan(agg, planOf(decide(agg)));
}

describe("R17-R20: refunds and disputes", () => {
  /** An ended contract: milestone 1 paid leaving `unallocated`, milestone 2 holding `held`. */
  function endedWith(held: number, unallocated: number, status: MilestoneStatus = "funded") {
    const milestones =
      held > 0
        ? [makeMilestone(1, "paid"), makeMilestone(2, status, { amount: held })]
        : [makeMilestone(1, "paid")];
    return makeAggregate({ contract: { status: "ended" }, milestones, unallocated });
  }

  it("R17: a refund request asks for all of the escrow and respects the refund window", () => {
    const agg = endedWith(2_000, 300);
    const plan = planOf(decideRequestRefund(agg, CLIENT, "", context()));
    expect(plan.refundRequests[0]).toMatchObject({
      amount: 2_300,
      status: "pending",
      respondBy: NOW + 7 * 86_400_000,
    });
    expect(plan.movements).toEqual([]);
  });

  it("R17: no refund request when the escrow is empty or one is already open", () => {
    expectFailure(decideRequestRefund(endedWith(0, 0), CLIENT, "", context()), "invalid_state");
    const open = { ...endedWith(2_000, 0), openRefundRequest: makeRefundRequest("disputed") };
    expectFailure(decideRequestRefund(open, CLIENT, "", context()), "invalid_state");
  });

  it("R18: an approved refund returns all the escrow and refunds the holding milestones", () => {
    const request = makeRefundRequest("pending", { amount: 2_300 });
    const agg = { ...endedWith(2_000, 300), openRefundRequest: request };
    const plan = planOf(decideApproveRefund(agg, FREELANCER, request, context()));
    expect(plan.movements).toEqual([{ kind: "refund", amount: 2_300, milestoneId: null }]);
    expect(plan.milestones).toMatchObject([{ id: "ms_2", status: "refunded" }]);
    expect(plan.contract.escrowBalance).toBe(0);
  });

  it("R20: cancelling a refund moves no money, but releases a submission whose window ended", () => {
    // The response window is still open when the review window ends (a later request).
    const request = makeRefundRequest("pending", {
      amount: 2_300,
      respondBy: NOW + 20 * 86_400_000,
    });
    const waiting = { ...endedWith(2_000, 300, "submitted"), openRefundRequest: request };
    const dueAt = waiting.milestones[1]!.autoApproveAt!;
    const early = planOf(decideCancelRefund(waiting, CLIENT, request, context(dueAt - 1)));
    expect(early.movements).toEqual([]);
    expect(early.milestones).toEqual([]);
    expect(early.contract.escrowBalance).toBe(2_300);
    const late = planOf(decideCancelRefund(waiting, CLIENT, request, context(dueAt)));
    expect(late.movements).toEqual([{ kind: "release", amount: 2_000, milestoneId: "ms_2" }]);
    expect(late.milestones).toMatchObject([{ id: "ms_2", status: "paid", releasedAmount: 2_000 }]);
    expect(late.contract.escrowBalance).toBe(300);
  });

  it("R20, R14: the release on cancelling answers the waiting submission as auto_approved", () => {
    const request = makeRefundRequest("pending", {
      amount: 2_300,
      respondBy: NOW + 20 * 86_400_000,
    });
    const waiting = { ...endedWith(2_000, 300, "submitted"), openRefundRequest: request };
    const submission = {
      id: "sub_1",
      milestoneId: "ms_2",
      message: "done",
      links: [],
      createdAt: NOW - 20 * 86_400_000,
      reviewOutcome: null,
      reviewMessage: null,
      reviewedAt: null,
    };
    const dueAt = waiting.milestones[1]!.autoApproveAt!;
    const late = planOf(decideCancelRefund(waiting, CLIENT, request, context(dueAt), [submission]));
    expect(late.submissions).toMatchObject([
      { id: "sub_1", reviewOutcome: "auto_approved", reviewedAt: dueAt },
    ]);
    const early = planOf(
      decideCancelRefund(waiting, CLIENT, request, context(dueAt - 1), [submission]),
    );
    expect(early.submissions).toEqual([]);
  });

  function disputed(held: readonly number[], unallocated: number) {
    const holding = held.map((amount, i) => makeMilestone(i + 2, "funded", { amount }));
    const total = held.reduce((a, b) => a + b, 0) + unallocated;
    const request = makeRefundRequest("disputed", { amount: total });
    const agg = makeAggregate({
      contract: { status: "ended" },
      milestones: [makeMilestone(1, "paid"), ...holding],
      unallocated,
      openRefundRequest: request,
    });
    return { agg, request, dispute: makeDispute("open", { amount: total }) };
  }

  it("R19: a split that does not add up to the disputed amount is validation_failed on refundAmount", () => {
    const { agg, request, dispute } = disputed([1_000], 0);
    const resolve = (refundAmount: number, releaseAmount: number) =>
      decideResolveDispute(
        agg,
        STAFF,
        dispute,
        request,
        { refundAmount, releaseAmount, reason: "split" },
        context(),
      );
    expectFailure(resolve(600, 300), "validation_failed", "refundAmount");
    expectFailure(resolve(600, 500), "validation_failed", "refundAmount");
    expectFailure(resolve(-1, 1_001), "validation_failed", "refundAmount");
    expectFailure(resolve(1_001, -1), "validation_failed", "releaseAmount");
    expectFailure(resolve(0.5, 999.5), "validation_failed", "refundAmount");
    expect(planOf(resolve(600, 400)).disputes[0]).toMatchObject({
      status: "resolved",
      refundAmount: 600,
      releaseAmount: 400,
      resolutionReason: "split",
    });
  });

  it("R19: a resolution needs a written reason", () => {
    const { agg, request, dispute } = disputed([1_000], 0);
    const result = decideResolveDispute(
      agg,
      STAFF,
      dispute,
      request,
      { refundAmount: 1_000, releaseAmount: 0, reason: "  " },
      context(),
    );
    expectFailure(result, "validation_failed", "reason");
  });

  it("R19: any split that adds up moves exactly the disputed amount out of escrow", () => {
    fc.assert(
      fc.property(
        amountArb,
        fc.nat({ max: MAX }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (held, spare, share) => {
          const { agg, request, dispute } = disputed([held], spare);
          const releaseAmount = Math.floor(dispute.amount * share);
          const refundAmount = dispute.amount - releaseAmount;
          const plan = planOf(
            decideResolveDispute(
              agg,
              STAFF,
              dispute,
              request,
              { refundAmount, releaseAmount, reason: "r" },
              context(),
            ),
          );
          const of = (kind: string) =>
            plan.movements.filter((m) => m.kind === kind).reduce((s, m) => s + m.amount, 0);
          expect(of("dispute_refund")).toBe(refundAmount);
          expect(of("dispute_release")).toBe(releaseAmount);
          expect(plan.movements.every((m) => m.amount > 0)).toBe(true);
          expect(plan.contract.escrowBalance).toBe(0);
          expect(plan.refundRequests[0]?.status).toBe("resolved");
          expectBalanced(plan, agg);
        },
      ),
    );
  });

  it("R19: the release goes to the holding milestones in order; each that gets money is paid, the rest refunded", () => {
    const { agg, request, dispute } = disputed([500, 700], 0);
    const resolve = (releaseAmount: number) =>
      planOf(
        decideResolveDispute(
          agg,
          STAFF,
          dispute,
          request,
          { refundAmount: 1_200 - releaseAmount, releaseAmount, reason: "r" },
          context(),
        ),
      ).milestones.map((m) => [m.id, m.status, m.releasedAmount]);
    expect(resolve(300)).toEqual([
      ["ms_2", "paid", 300],
      ["ms_3", "refunded", 0],
    ]);
    expect(resolve(500)).toEqual([
      ["ms_2", "paid", 500],
      ["ms_3", "refunded", 0],
    ]);
    expect(resolve(600)).toEqual([
      ["ms_2", "paid", 500],
      ["ms_3", "paid", 100],
    ]);
    expect(resolve(0)).toEqual([
      ["ms_2", "refunded", 0],
      ["ms_3", "refunded", 0],
    ]);
  });

  it("R19: the last holding milestone takes the part of the release that came from unallocated escrow", () => {
    const { agg, request, dispute } = disputed([1_000], 500);
    const plan = planOf(
      decideResolveDispute(
        agg,
        STAFF,
        dispute,
        request,
        { refundAmount: 300, releaseAmount: 1_200, reason: "r" },
        context(),
      ),
    );
    expect(plan.milestones).toMatchObject([{ id: "ms_2", status: "paid", releasedAmount: 1_200 }]);
    expect(plan.movements).toEqual([
      { kind: "dispute_refund", amount: 300, milestoneId: "ms_2" },
      { kind: "dispute_release", amount: 1_200, milestoneId: "ms_2" },
    ]);
  });

  it("R19: with only unallocated escrow, the release moves but no milestone changes", () => {
    const { agg, request, dispute } = disputed([], 800);
    const plan = planOf(
      decideResolveDispute(
        agg,
        STAFF,
        dispute,
        request,
        { refundAmount: 200, releaseAmount: 600, reason: "r" },
        context(),
      ),
    );
    expect(plan.milestones).toEqual([]);
    expect(plan.movements).toEqual([
      { kind: "dispute_refund", amount: 200, milestoneId: null },
      { kind: "dispute_release", amount: 600, milestoneId: null },
    ]);
    expect(plan.contract.escrowBalance).toBe(0);
  });

  it("R19: for any holding amounts and release, the milestones' releases add up to the release, filled in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (held, spare, share) => {
          const { agg, request, dispute } = disputed(held, spare);
          const releaseAmount = Math.floor(dispute.amount * share);
          const plan = planOf(
            decideResolveDispute(
              agg,
              STAFF,
              dispute,
              request,
              { refundAmount: dispute.amount - releaseAmount, releaseAmount, reason: "r" },
              context(),
            ),
          );
          const ms = plan.milestones;
          expect(ms).toHaveLength(held.length);
          expect(ms.reduce((s, m) => s + m.releasedAmount, 0)).toBe(releaseAmount);
          ms.forEach((m, i) => {
            expect(m.status).toBe(m.releasedAmount > 0 ? "paid" : "refunded");
            // A later milestone gets money only once every earlier one is full.
            if (i > 0 && m.releasedAmount > 0) {
              expect(ms[i - 1]!.releasedAmount).toBe(held[i - 1]);
            }
            if (i < ms.length - 1) expect(m.releasedAmount).toBeLessThanOrEqual(held[i]!);
          });
        },
      ),
    );
  });
});

describe("R12: submissions", () => {
  it("R12, R14, R25: a submission starts the review clock of the contract's own window", () => {
    const milestone = makeMilestone(1, "funded");
    const agg = makeAggregate({ contract: { reviewWindowDays: 3 }, milestones: [milestone] });
    const plan = planOf(decideSubmitWork(agg, FREELANCER, milestone, { message: "v1" }, context()));
    expect(plan.milestones[0]).toMatchObject({
      status: "submitted",
      submittedAt: NOW,
      autoApproveAt: NOW + 3 * 86_400_000,
    });
    expect(plan.movements).toEqual([]);
    expect(plan.charge).toBe(0);
  });
});
