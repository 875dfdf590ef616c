/**
 * Table-driven transition tests. Every (state, command) pair of every state machine is built as
 * an aggregate and run through the decide function that owns the command. The expected outcome
 * comes from the explicit matrices below, written from RULES.md and API.md, never from
 * src/domain/machines.ts: the machine tables are only used to enumerate statuses and commands,
 * so that a new status or command produces a case (and, through the `Record` types, a compile
 * error here until its expectation is written).
 */
import { describe, expect, it } from "vitest";
import type { Caller, ContractAggregate, Plan } from "../../src/domain/aggregate.js";
import {
  decideAccept,
  decideDecline,
  decideEnd,
  decideWithdraw,
} from "../../src/domain/contract-rules.js";
import {
  allows,
  CONTRACT_STATUSES,
  CONTRACT_TRANSITIONS,
  DISPUTE_STATUSES,
  DISPUTE_TRANSITIONS,
  DUE_DATE_CHANGE_STATUSES,
  DUE_DATE_CHANGE_TRANSITIONS,
  MILESTONE_STATUSES,
  MILESTONE_TRANSITIONS,
  REFUND_REQUEST_STATUSES,
  REFUND_REQUEST_TRANSITIONS,
  type ContractCommand,
  type DisputeCommand,
  type DueDateChangeCommand,
  type MilestoneCommand,
  type RefundRequestCommand,
  type Transition,
} from "../../src/domain/machines.js";
import {
  decideAddMilestone,
  decideAnswerDueDate,
  decideApproveMilestone,
  decideAutoApproveMilestone,
  decideCancelMilestone,
  decideFundMilestone,
  decideProposeDueDate,
  decideRequestChanges,
  decideSubmitWork,
  decideUpdateMilestone,
} from "../../src/domain/milestone-rules.js";
import {
  decideApproveRefund,
  decideAutoApproveRefund,
  decideCancelRefund,
  decideDisputeRefund,
  decideRequestRefund,
  decideResolveDispute,
} from "../../src/domain/refund-rules.js";
import type { FailureCode } from "../../src/domain/failures.js";
import type { Result } from "../../src/domain/result.js";
import type {
  ContractStatus,
  DisputeStatus,
  DueDateChangeStatus,
  Milestone,
  MilestoneStatus,
  RefundRequestStatus,
} from "../../src/domain/types.js";
import {
  aggregateInContractStatus,
  CALLERS,
  CLIENT,
  context,
  expectFailure,
  FREELANCER,
  makeAggregate,
  makeDispute,
  makeDueDateChange,
  makeMilestone,
  makeRefundRequest,
  milestoneAfter,
  NOW,
  planOf,
  STAFF,
  STRANGER,
  type CallerName,
} from "./fixtures.js";

/** The command is refused with `invalid_state`. */
const NO = "invalid_state" as const;
/** The command is allowed and leaves the subject's status as it was (edits, proposals). */
const SAME = "unchanged" as const;
/**
 * Only for `refund`, which is a consequence rather than a command: the milestone is left out of
 * the refund (the decision succeeds, the milestone keeps its status, the machine has no such
 * transition).
 */
const KEPT = "left out" as const;
type Outcome<S extends string> = S | typeof NO | typeof SAME | typeof KEPT;

function commandsOf<C extends string>(table: Record<C, unknown>): C[] {
  return Object.keys(table) as C[];
}

function callerName(caller: Caller): string {
  return caller === CLIENT ? "client" : caller === FREELANCER ? "freelancer" : caller.userId;
}

/**
 * Checks one decision against its expected outcome: a status reached, the status unchanged, or
 * `invalid_state`. `statusAfter` reads the subject's status from the plan.
 */
function expectOutcome<S extends string>(
  result: Result<Plan>,
  expected: Outcome<S> | undefined,
  before: S,
  statusAfter: (plan: Plan) => S,
): void {
  expect(expected, "the expectation matrix has no entry for this pair").toBeDefined();
  if (expected === NO) {
    expectFailure(result, "invalid_state");
    return;
  }
  const after = statusAfter(planOf(result));
  expect(after).toBe(expected === SAME || expected === KEPT ? before : expected);
}

/** The machine table agrees with the expectation (a second, cheaper check of the same matrix). */
function expectTableAgrees<S extends string>(
  transition: Transition<S>,
  status: S,
  expected: Outcome<S> | undefined,
): void {
  expect(allows(transition, status)).toBe(expected !== NO && expected !== KEPT);
  if (expected !== NO && expected !== SAME && expected !== KEPT) {
    expect(transition.to).toBe(expected);
  }
  if (expected === SAME) expect(transition.to).toBeNull();
}

// ---------------------------------------------------------------------------------------------
// Contracts (R8, R9)

const CONTRACT_EXPECTED: Record<
  ContractStatus,
  Record<ContractCommand, Outcome<ContractStatus>>
> = {
  offered: { accept: "active", decline: "declined", withdraw: "withdrawn", end: NO },
  active: { accept: NO, decline: NO, withdraw: NO, end: "ended" },
  ended: { accept: NO, decline: NO, withdraw: NO, end: NO },
  declined: { accept: NO, decline: NO, withdraw: NO, end: NO },
  withdrawn: { accept: NO, decline: NO, withdraw: NO, end: NO },
};

const CONTRACT_CALLERS: Record<ContractCommand, readonly Caller[]> = {
  accept: [FREELANCER],
  decline: [FREELANCER],
  withdraw: [CLIENT],
  end: [CLIENT, FREELANCER],
};

function runContract(command: ContractCommand, agg: ContractAggregate, caller: Caller) {
  const ctx = context();
  switch (command) {
    case "accept":
      return decideAccept(agg, caller, ctx);
    case "decline":
      return decideDecline(agg, caller, ctx);
    case "withdraw":
      return decideWithdraw(agg, caller, ctx);
    case "end":
      return decideEnd(agg, caller, "", ctx);
  }
}

describe("contract state machine", () => {
  const cases = CONTRACT_STATUSES.flatMap((status) =>
    commandsOf(CONTRACT_TRANSITIONS).flatMap((command) =>
      CONTRACT_CALLERS[command].map((caller) => ({ status, command, caller })),
    ),
  );
  it.each(cases)(
    "R8, R9: $command by the $caller.userId on a contract that is $status",
    ({ status, command, caller }) => {
      const agg = aggregateInContractStatus(status);
      const expected = CONTRACT_EXPECTED[status][command];
      expectOutcome(runContract(command, agg, caller), expected, status, (p) => p.contract.status);
      expectTableAgrees<ContractStatus>(CONTRACT_TRANSITIONS[command], status, expected);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Milestones (R10-R16)

/**
 * `refund` is not a command anyone sends: it is what happens to a milestone when escrow is
 * returned (R8, R9, R18). Its row is tested through a refund approval on an ended contract,
 * where `KEPT` means the milestone is left out of the refund.
 */
const MILESTONE_EXPECTED: Record<
  MilestoneStatus,
  Record<MilestoneCommand, Outcome<MilestoneStatus>>
> = {
  pending: {
    update: SAME,
    cancel: "cancelled",
    fund: "funded",
    submit: NO,
    request_changes: NO,
    approve: NO,
    auto_approve: NO,
    refund: KEPT,
    propose_due_date: SAME,
  },
  funded: {
    update: NO,
    cancel: NO,
    fund: NO,
    submit: "submitted",
    request_changes: NO,
    approve: "paid",
    auto_approve: NO,
    refund: "refunded",
    propose_due_date: SAME,
  },
  submitted: {
    update: NO,
    cancel: NO,
    fund: NO,
    submit: NO,
    request_changes: "changes_requested",
    approve: "paid",
    auto_approve: "paid",
    refund: "refunded",
    propose_due_date: SAME,
  },
  changes_requested: {
    update: NO,
    cancel: NO,
    fund: NO,
    submit: "submitted",
    request_changes: NO,
    approve: "paid",
    auto_approve: NO,
    refund: "refunded",
    propose_due_date: SAME,
  },
  paid: {
    update: NO,
    cancel: NO,
    fund: NO,
    submit: NO,
    request_changes: NO,
    approve: NO,
    auto_approve: NO,
    refund: KEPT,
    propose_due_date: NO,
  },
  refunded: {
    update: NO,
    cancel: NO,
    fund: NO,
    submit: NO,
    request_changes: NO,
    approve: NO,
    auto_approve: NO,
    refund: KEPT,
    propose_due_date: NO,
  },
  cancelled: {
    update: NO,
    cancel: NO,
    fund: NO,
    submit: NO,
    request_changes: NO,
    approve: NO,
    auto_approve: NO,
    refund: KEPT,
    propose_due_date: NO,
  },
};

/** Who sends each milestone command; `system` for the timed rule and the refund consequence. */
const MILESTONE_CALLERS: Record<MilestoneCommand, readonly (Caller | "system")[]> = {
  update: [CLIENT],
  cancel: [CLIENT],
  fund: [CLIENT],
  submit: [FREELANCER],
  request_changes: [CLIENT],
  approve: [CLIENT],
  auto_approve: ["system"],
  refund: [FREELANCER],
  propose_due_date: [CLIENT, FREELANCER],
};

/**
 * A milestone in `status`. For the timed rule its review window has ended, so R14 may fire; for
 * the client's answers it is still open (after it ends, R14 alone decides).
 */
function subjectMilestone(status: MilestoneStatus, command: MilestoneCommand): Milestone {
  return makeMilestone(1, status, {
    autoApproveAt: command === "auto_approve" ? NOW - 1 : NOW + 1,
  });
}

function runMilestone(
  command: MilestoneCommand,
  agg: ContractAggregate,
  caller: Caller | "system",
  milestone: Milestone,
): Result<Plan> {
  const ctx = context();
  const who = caller === "system" ? STAFF : caller;
  switch (command) {
    case "update":
      return decideUpdateMilestone(agg, who, milestone, { amount: 1_234 });
    case "cancel":
      return decideCancelMilestone(agg, who, milestone);
    case "fund":
      return decideFundMilestone(agg, who, milestone);
    case "submit":
      return decideSubmitWork(agg, who, milestone, { message: "done" }, ctx);
    case "request_changes":
      return decideRequestChanges(agg, who, milestone, null, "bigger logo", ctx);
    case "approve":
      return decideApproveMilestone(agg, who, milestone, null, undefined, ctx);
    case "auto_approve":
      return decideAutoApproveMilestone(agg, milestone, null, ctx);
    case "refund": {
      const request = makeRefundRequest("pending", { amount: agg.contract.escrowBalance });
      return decideApproveRefund({ ...agg, openRefundRequest: request }, who, request, ctx);
    }
    case "propose_due_date":
      return decideProposeDueDate(agg, who, milestone, null, "2026-05-01", ctx);
  }
}

/** The aggregate a milestone command runs on: active, or ended for the refund consequence. */
function aggregateForMilestone(command: MilestoneCommand, milestone: Milestone) {
  return makeAggregate({
    contract: { status: command === "refund" ? "ended" : "active" },
    milestones: [milestone],
    // A refund needs money in escrow even when the milestone holds none (R15 leftovers).
    unallocated: command === "refund" ? 500 : 0,
  });
}

describe("milestone state machine", () => {
  const cases = MILESTONE_STATUSES.flatMap((status) =>
    commandsOf(MILESTONE_TRANSITIONS).flatMap((command) =>
      MILESTONE_CALLERS[command].map((caller) => ({
        status,
        command,
        caller,
        who: caller === "system" ? "system" : callerName(caller),
      })),
    ),
  );
  it.each(cases)(
    "R10-R16: $command by the $who on a milestone that is $status",
    ({ status, command, caller }) => {
      const milestone = subjectMilestone(status, command);
      const agg = aggregateForMilestone(command, milestone);
      const expected = MILESTONE_EXPECTED[status][command];
      const result = runMilestone(command, agg, caller, milestone);
      expectOutcome(result, expected, status, (p) => milestoneAfter(agg, p, milestone.id).status);
      expectTableAgrees<MilestoneStatus>(MILESTONE_TRANSITIONS[command], status, expected);
    },
  );

  it("R16: a due date proposal leaves the milestone as it is and creates a pending change", () => {
    const milestone = makeMilestone(1, "funded");
    const agg = makeAggregate({ milestones: [milestone] });
    const plan = planOf(
      decideProposeDueDate(agg, CLIENT, milestone, null, "2026-05-01", context()),
    );
    expect(plan.milestones).toEqual([]);
    expect(plan.dueDateChanges).toMatchObject([
      { milestoneId: milestone.id, dueDate: "2026-05-01", proposedBy: CLIENT.userId },
    ]);
    expect(plan.dueDateChanges[0]?.status).toBe("pending");
  });

  it("R16: a second proposal while one is pending is refused", () => {
    const milestone = makeMilestone(1, "funded");
    const agg = makeAggregate({ milestones: [milestone] });
    const pending = makeDueDateChange("pending");
    const result = decideProposeDueDate(agg, CLIENT, milestone, pending, "2026-05-01", context());
    expectFailure(result, "invalid_state");
  });
});

// ---------------------------------------------------------------------------------------------
// Contract status as a precondition of milestone commands (R9, R10, R11, R12, R13, R16, API)

/**
 * `yes`/`no` per contract status, for a milestone in a state where the command is allowed.
 * `unreachable`: a milestone cannot be in the needed state on such a contract (a submission
 * needs an active contract; a declined or withdrawn offer refunds its escrow), so no case runs.
 * `n/a`: refund is a consequence of contract and refund commands, tested above and in
 * decide-money.test.ts.
 */
type Pre = "yes" | "no" | "unreachable" | "n/a";
const CONTRACT_PRECONDITION: Record<MilestoneCommand, Record<ContractStatus, Pre>> = {
  update: { offered: "no", active: "yes", ended: "no", declined: "no", withdrawn: "no" },
  cancel: { offered: "no", active: "yes", ended: "no", declined: "no", withdrawn: "no" },
  fund: { offered: "no", active: "yes", ended: "no", declined: "no", withdrawn: "no" },
  submit: { offered: "no", active: "yes", ended: "no", declined: "no", withdrawn: "no" },
  request_changes: { offered: "no", active: "yes", ended: "no", declined: "no", withdrawn: "no" },
  approve: { offered: "no", active: "yes", ended: "yes", declined: "no", withdrawn: "no" },
  auto_approve: {
    offered: "unreachable",
    active: "yes",
    ended: "yes",
    declined: "unreachable",
    withdrawn: "unreachable",
  },
  refund: { offered: "n/a", active: "n/a", ended: "n/a", declined: "n/a", withdrawn: "n/a" },
  propose_due_date: { offered: "no", active: "yes", ended: "no", declined: "no", withdrawn: "no" },
};

/** A milestone state in which `command` is allowed by the milestone machine. */
const READY_STATE: Record<MilestoneCommand, MilestoneStatus> = {
  update: "pending",
  cancel: "pending",
  fund: "pending",
  submit: "funded",
  request_changes: "submitted",
  approve: "submitted",
  auto_approve: "submitted",
  refund: "funded",
  propose_due_date: "funded",
};

describe("contract status preconditions of milestone commands", () => {
  const cases = commandsOf(MILESTONE_TRANSITIONS).flatMap((command) =>
    CONTRACT_STATUSES.filter((status) => {
      const pre = CONTRACT_PRECONDITION[command][status];
      return pre === "yes" || pre === "no";
    }).flatMap((status) =>
      MILESTONE_CALLERS[command].map((caller) => ({
        command,
        status,
        caller,
        pre: CONTRACT_PRECONDITION[command][status],
      })),
    ),
  );
  it.each(cases)(
    "R9, R10, R13: $command on a contract that is $status: $pre",
    ({ command, status, caller, pre }) => {
      const milestone = subjectMilestone(READY_STATE[command], command);
      const agg = makeAggregate({ contract: { status }, milestones: [milestone] });
      const result = runMilestone(command, agg, caller, milestone);
      if (pre === "yes") expect(result.ok, result.ok ? "" : result.message).toBe(true);
      else expectFailure(result, "invalid_state");
    },
  );

  it("R9: after the client ends the contract, submit and request changes are invalid_state", () => {
    const funded = makeMilestone(1, "funded");
    const ended = makeAggregate({ contract: { status: "ended" }, milestones: [funded] });
    const submitted = makeMilestone(1, "submitted");
    const endedWithSubmission = makeAggregate({
      contract: { status: "ended" },
      milestones: [submitted],
    });
    expectFailure(
      decideSubmitWork(ended, FREELANCER, funded, { message: "late" }, context()),
      "invalid_state",
    );
    expectFailure(
      decideRequestChanges(endedWithSubmission, CLIENT, submitted, null, "no", context()),
      "invalid_state",
    );
    const approved = planOf(
      decideApproveMilestone(endedWithSubmission, CLIENT, submitted, null, undefined, context()),
    );
    expect(approved.milestones[0]?.status).toBe("paid");
  });

  it("R11: fund requires an active contract even for the next milestone in order", () => {
    for (const status of ["offered", "ended"] as const) {
      const next = makeMilestone(2, "pending");
      const agg = makeAggregate({
        contract: { status },
        milestones: [makeMilestone(1, "paid"), next],
      });
      expectFailure(decideFundMilestone(agg, CLIENT, next), "invalid_state");
    }
  });

  it("R10: a milestone is added only to an active contract", () => {
    for (const status of CONTRACT_STATUSES) {
      const agg = aggregateInContractStatus(status);
      const result = decideAddMilestone(agg, CLIENT, { title: "Extra", amount: 500 }, context());
      if (status === "active") expect(planOf(result).milestones[0]?.position).toBe(3);
      else expectFailure(result, "invalid_state");
    }
  });

  it("R16: a due date change is accepted only on an active contract; declined on any", () => {
    for (const status of CONTRACT_STATUSES) {
      const milestone = makeMilestone(1, "funded");
      const agg = makeAggregate({ contract: { status }, milestones: [milestone] });
      const proposal = makeDueDateChange("pending");
      const accept = decideAnswerDueDate(agg, CLIENT, milestone, proposal, "accept", context());
      if (status === "active") expect(planOf(accept).milestones[0]?.dueDate).toBe("2026-04-30");
      else expectFailure(accept, "invalid_state");
      const decline = decideAnswerDueDate(agg, CLIENT, milestone, proposal, "decline", context());
      expect(planOf(decline).dueDateChanges[0]?.status).toBe("declined");
    }
  });

  it("R16: accepting a due date change for a milestone that became paid is invalid_state", () => {
    const milestone = makeMilestone(1, "paid");
    const agg = makeAggregate({ milestones: [milestone] });
    const proposal = makeDueDateChange("pending");
    expectFailure(
      decideAnswerDueDate(agg, CLIENT, milestone, proposal, "accept", context()),
      "invalid_state",
    );
  });

  it.each(["pending", "disputed"] as const)(
    "R17: no release, manual or automatic, while a refund request is %s",
    (requestStatus) => {
      const submitted = makeMilestone(1, "submitted", { autoApproveAt: NOW - 1 });
      const agg = makeAggregate({
        contract: { status: "ended" },
        milestones: [submitted],
        openRefundRequest: makeRefundRequest(requestStatus),
      });
      expectFailure(
        decideApproveMilestone(agg, CLIENT, submitted, null, undefined, context()),
        "invalid_state",
      );
      expectFailure(decideAutoApproveMilestone(agg, submitted, null, context()), "invalid_state");
    },
  );

  it("R14: auto-approval waits for the end of the review window", () => {
    const submitted = makeMilestone(1, "submitted", { autoApproveAt: NOW + 1 });
    const agg = makeAggregate({ milestones: [submitted] });
    expectFailure(decideAutoApproveMilestone(agg, submitted, null, context()), "invalid_state");
    const due = planOf(decideAutoApproveMilestone(agg, submitted, null, context(NOW + 1)));
    expect(due.milestones[0]).toMatchObject({ status: "paid", releasedAmount: 1_000 });
    expect(due.actor).toEqual({ kind: "system" });
  });

  it("R17: a refund is requested only on an ended contract", () => {
    for (const status of CONTRACT_STATUSES) {
      const agg = aggregateInContractStatus(status);
      const result = decideRequestRefund(agg, CLIENT, "", context());
      if (status === "ended") expect(planOf(result).refundRequests[0]?.amount).toBe(1_000);
      else expectFailure(result, "invalid_state");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Refund requests (R17-R20) and disputes (R19)

const REFUND_EXPECTED: Record<
  RefundRequestStatus,
  Record<RefundRequestCommand, Outcome<RefundRequestStatus>>
> = {
  pending: {
    approve: "approved",
    auto_approve: "auto_approved",
    dispute: "disputed",
    cancel: "cancelled",
    resolve: NO,
  },
  approved: { approve: NO, auto_approve: NO, dispute: NO, cancel: NO, resolve: NO },
  auto_approved: { approve: NO, auto_approve: NO, dispute: NO, cancel: NO, resolve: NO },
  disputed: { approve: NO, auto_approve: NO, dispute: NO, cancel: NO, resolve: "resolved" },
  cancelled: { approve: NO, auto_approve: NO, dispute: NO, cancel: NO, resolve: NO },
  resolved: { approve: NO, auto_approve: NO, dispute: NO, cancel: NO, resolve: NO },
};

const REFUND_CALLERS: Record<RefundRequestCommand, Caller | "system"> = {
  approve: FREELANCER,
  auto_approve: "system",
  dispute: FREELANCER,
  cancel: CLIENT,
  resolve: STAFF,
};

const SPLIT = { refundAmount: 600, releaseAmount: 400, reason: "partly delivered" };

function refundAggregate(status: RefundRequestStatus, windowEnded = false) {
  // For the timed rule the response window has ended, so R18's automatic approval may fire;
  // for the freelancer's answers it is still open (after it ends, R18 alone decides).
  const request = makeRefundRequest(status, { respondBy: windowEnded ? NOW - 1 : NOW + 1 });
  const open = status === "pending" || status === "disputed";
  const agg = makeAggregate({
    contract: { status: "ended" },
    milestones: [makeMilestone(1, "funded")],
    openRefundRequest: open ? request : null,
  });
  return { agg, request };
}

function runRefund(command: RefundRequestCommand, status: RefundRequestStatus) {
  const { agg, request } = refundAggregate(status, command === "auto_approve");
  const ctx = context();
  switch (command) {
    case "approve":
      return decideApproveRefund(agg, FREELANCER, request, ctx);
    case "auto_approve":
      return decideAutoApproveRefund(agg, request, ctx);
    case "dispute":
      return decideDisputeRefund(agg, FREELANCER, request, "I delivered", ctx);
    case "cancel":
      return decideCancelRefund(agg, CLIENT, request, ctx);
    case "resolve":
      return decideResolveDispute(agg, STAFF, makeDispute("open"), request, SPLIT, ctx);
  }
}

describe("refund request state machine", () => {
  const cases = REFUND_REQUEST_STATUSES.flatMap((status) =>
    commandsOf(REFUND_REQUEST_TRANSITIONS).map((command) => {
      const caller = REFUND_CALLERS[command];
      return { status, command, who: caller === "system" ? "system" : callerName(caller) };
    }),
  );
  it.each(cases)(
    "R17-R20: $command by the $who on a refund request that is $status",
    ({ status, command }) => {
      const expected = REFUND_EXPECTED[status][command];
      const after = (plan: Plan) => {
        const request = plan.refundRequests[0];
        if (!request) return expect.fail("the plan does not write the refund request");
        return request.status;
      };
      expectOutcome(runRefund(command, status), expected, status, after);
      expectTableAgrees<RefundRequestStatus>(REFUND_REQUEST_TRANSITIONS[command], status, expected);
    },
  );

  it("R18: the automatic approval waits for the end of the response window", () => {
    const request = makeRefundRequest("pending", { respondBy: NOW + 1 });
    const agg = makeAggregate({ contract: { status: "ended" }, openRefundRequest: request });
    expectFailure(decideAutoApproveRefund(agg, request, context()), "invalid_state");
    const plan = planOf(decideAutoApproveRefund(agg, request, context(NOW + 1)));
    expect(plan.refundRequests[0]?.status).toBe("auto_approved");
    expect(plan.actor).toEqual({ kind: "system" });
  });
});

const DISPUTE_EXPECTED: Record<DisputeStatus, Record<DisputeCommand, Outcome<DisputeStatus>>> = {
  open: { resolve: "resolved" },
  resolved: { resolve: NO },
};

describe("dispute state machine", () => {
  const cases = DISPUTE_STATUSES.flatMap((status) =>
    commandsOf(DISPUTE_TRANSITIONS).map((command) => ({ status, command })),
  );
  it.each(cases)("R19: $command by staff on a dispute that is $status", ({ status, command }) => {
    const { agg, request } = refundAggregate("disputed");
    const dispute = makeDispute(status);
    let result: Result<Plan>;
    switch (command) {
      case "resolve":
        result = decideResolveDispute(agg, STAFF, dispute, request, SPLIT, context());
        break;
    }
    const expected = DISPUTE_EXPECTED[status][command];
    const after = (plan: Plan) => {
      const written = plan.disputes[0];
      if (!written) return expect.fail("the plan does not write the dispute");
      return written.status;
    };
    expectOutcome(result, expected, status, after);
    expectTableAgrees<DisputeStatus>(DISPUTE_TRANSITIONS[command], status, expected);
  });
});

const DUE_DATE_EXPECTED: Record<
  DueDateChangeStatus,
  Record<DueDateChangeCommand, Outcome<DueDateChangeStatus>>
> = {
  pending: { accept: "accepted", decline: "declined" },
  accepted: { accept: NO, decline: NO },
  declined: { accept: NO, decline: NO },
};

describe("due date change state machine", () => {
  const cases = DUE_DATE_CHANGE_STATUSES.flatMap((status) =>
    commandsOf(DUE_DATE_CHANGE_TRANSITIONS).map((command) => ({ status, command })),
  );
  it.each(cases)(
    "R16: $command by the other party on a due date change that is $status",
    ({ status, command }) => {
      const milestone = makeMilestone(1, "funded");
      const agg = makeAggregate({ milestones: [milestone] });
      const proposal = makeDueDateChange(status);
      const result = decideAnswerDueDate(agg, CLIENT, milestone, proposal, command, context());
      const expected = DUE_DATE_EXPECTED[status][command];
      const after = (plan: Plan) => {
        const written = plan.dueDateChanges[0];
        if (!written) return expect.fail("the plan does not write the due date change");
        return written.status;
      };
      expectOutcome(result, expected, status, after);
      expectTableAgrees<DueDateChangeStatus>(
        DUE_DATE_CHANGE_TRANSITIONS[command],
        status,
        expected,
      );
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Access (R2) and the order of checks: not_found, forbidden, validation_failed, invalid_state

interface Variant {
  readonly badInput: boolean;
  readonly badState: boolean;
}

interface AccessSpec {
  readonly name: string;
  readonly rule: string;
  /** The callers whose action this is; every other one who can see it gets forbidden. */
  readonly may: readonly CallerName[];
  /** Whether the command takes input that can fail validation. */
  readonly hasInput: boolean;
  readonly run: (caller: Caller, variant: Variant) => Result<Plan>;
}

const TOO_LONG_REASON = "x".repeat(5_001);

function onContract(status: ContractStatus) {
  return aggregateInContractStatus(status);
}

function onMilestone(status: MilestoneStatus, contractStatus: ContractStatus = "active") {
  const milestone = makeMilestone(1, status);
  return {
    milestone,
    agg: makeAggregate({ contract: { status: contractStatus }, milestones: [milestone] }),
  };
}

function onRefund(status: RefundRequestStatus) {
  return refundAggregate(status);
}

const ACCESS: readonly AccessSpec[] = [
  {
    name: "accept an offer",
    rule: "R8",
    may: ["freelancer"],
    hasInput: false,
    run: (caller, v) =>
      decideAccept(onContract(v.badState ? "active" : "offered"), caller, context()),
  },
  {
    name: "decline an offer",
    rule: "R8",
    may: ["freelancer"],
    hasInput: false,
    run: (caller, v) =>
      decideDecline(onContract(v.badState ? "active" : "offered"), caller, context()),
  },
  {
    name: "withdraw an offer",
    rule: "R8",
    may: ["client"],
    hasInput: false,
    run: (caller, v) =>
      decideWithdraw(onContract(v.badState ? "active" : "offered"), caller, context()),
  },
  {
    name: "end a contract",
    rule: "R9",
    may: ["client", "freelancer"],
    hasInput: true,
    run: (caller, v) =>
      decideEnd(
        onContract(v.badState ? "ended" : "active"),
        caller,
        v.badInput ? TOO_LONG_REASON : "done",
        context(),
      ),
  },
  {
    name: "add a milestone",
    rule: "R10",
    may: ["client"],
    hasInput: true,
    run: (caller, v) =>
      decideAddMilestone(
        onContract(v.badState ? "ended" : "active"),
        caller,
        { title: "Extra", amount: v.badInput ? 0 : 500 },
        context(),
      ),
  },
  {
    name: "edit a milestone",
    rule: "R10",
    may: ["client"],
    hasInput: true,
    run: (caller, v) => {
      const { agg, milestone } = onMilestone(v.badState ? "funded" : "pending");
      return decideUpdateMilestone(agg, caller, milestone, { amount: v.badInput ? 0.5 : 700 });
    },
  },
  {
    name: "cancel a milestone",
    rule: "R10",
    may: ["client"],
    hasInput: false,
    run: (caller, v) => {
      const { agg, milestone } = onMilestone(v.badState ? "funded" : "pending");
      return decideCancelMilestone(agg, caller, milestone);
    },
  },
  {
    name: "fund a milestone",
    rule: "R11",
    may: ["client"],
    hasInput: false,
    run: (caller, v) => {
      const { agg, milestone } = onMilestone(v.badState ? "funded" : "pending");
      return decideFundMilestone(agg, caller, milestone);
    },
  },
  {
    name: "submit work",
    rule: "R12",
    may: ["freelancer"],
    hasInput: true,
    run: (caller, v) => {
      const { agg, milestone } = onMilestone(v.badState ? "pending" : "funded");
      const input = { message: v.badInput ? "  " : "done" };
      return decideSubmitWork(agg, caller, milestone, input, context());
    },
  },
  {
    name: "request changes",
    rule: "R13",
    may: ["client"],
    hasInput: true,
    run: (caller, v) => {
      const { agg, milestone } = onMilestone(v.badState ? "funded" : "submitted");
      const message = v.badInput ? "" : "bigger logo";
      return decideRequestChanges(agg, caller, milestone, null, message, context());
    },
  },
  {
    name: "approve a milestone",
    rule: "R13",
    may: ["client"],
    hasInput: true,
    run: (caller, v) => {
      const { agg, milestone } = onMilestone(v.badState ? "pending" : "submitted");
      const amount = v.badInput ? 10_000_000_001 : undefined;
      return decideApproveMilestone(agg, caller, milestone, null, amount, context());
    },
  },
  {
    name: "propose a due date",
    rule: "R16",
    may: ["client", "freelancer"],
    hasInput: true,
    run: (caller, v) => {
      const { agg, milestone } = onMilestone(v.badState ? "paid" : "funded");
      const date = v.badInput ? "2026-02-29" : "2026-05-01";
      return decideProposeDueDate(agg, caller, milestone, null, date, context());
    },
  },
  ...(["accept", "decline"] as const).map((answer): AccessSpec => ({
    name: `${answer} a due date change proposed by the freelancer`,
    rule: "R16",
    may: ["client"],
    hasInput: false,
    run: (caller, v) => {
      const { agg, milestone } = onMilestone("funded");
      const proposal = makeDueDateChange(v.badState ? "accepted" : "pending");
      return decideAnswerDueDate(agg, caller, milestone, proposal, answer, context());
    },
  })),
  {
    name: "request an escrow refund",
    rule: "R17",
    may: ["client"],
    hasInput: true,
    run: (caller, v) =>
      decideRequestRefund(
        onContract(v.badState ? "active" : "ended"),
        caller,
        v.badInput ? TOO_LONG_REASON : "",
        context(),
      ),
  },
  {
    name: "approve a refund request",
    rule: "R18",
    may: ["freelancer"],
    hasInput: false,
    run: (caller, v) => {
      const { agg, request } = onRefund(v.badState ? "cancelled" : "pending");
      return decideApproveRefund(agg, caller, request, context());
    },
  },
  {
    name: "dispute a refund request",
    rule: "R18",
    may: ["freelancer"],
    hasInput: true,
    run: (caller, v) => {
      const { agg, request } = onRefund(v.badState ? "disputed" : "pending");
      return decideDisputeRefund(agg, caller, request, v.badInput ? "" : "I did it", context());
    },
  },
  {
    name: "cancel a refund request",
    rule: "R20",
    may: ["client"],
    hasInput: false,
    run: (caller, v) => {
      const { agg, request } = onRefund(v.badState ? "disputed" : "pending");
      return decideCancelRefund(agg, caller, request, context());
    },
  },
  {
    name: "resolve a dispute",
    rule: "R19",
    may: ["staff"],
    hasInput: true,
    run: (caller, v) => {
      const { agg, request } = onRefund("disputed");
      const dispute = makeDispute(v.badState ? "resolved" : "open");
      const split = v.badInput ? { ...SPLIT, releaseAmount: 1 } : SPLIT;
      return decideResolveDispute(agg, caller, dispute, request, split, context());
    },
  },
];

function expectedAccess(spec: AccessSpec, who: CallerName, variant: Variant): FailureCode | "ok" {
  if (who === "stranger") return "not_found";
  if (!spec.may.includes(who)) return "forbidden";
  if (variant.badInput && spec.hasInput) return "validation_failed";
  if (variant.badState) return "invalid_state";
  return "ok";
}

describe("access and order of checks", () => {
  const names = Object.keys(CALLERS) as CallerName[];
  const variants: readonly Variant[] = [
    { badInput: false, badState: false },
    { badInput: true, badState: true },
    { badInput: false, badState: true },
  ];
  const cases = ACCESS.flatMap((spec) =>
    names.flatMap((who) =>
      variants.map((variant) => ({
        spec,
        who,
        variant,
        label: spec.name,
        expected: expectedAccess(spec, who, variant),
        how: variant.badInput
          ? "with a bad body in a bad state"
          : variant.badState
            ? "in a bad state"
            : "in a good state",
      })),
    ),
  );
  it.each(cases)(
    "R2: $label by the $who $how gets $expected",
    ({ spec, who, variant, expected }) => {
      const result = spec.run(CALLERS[who], variant);
      if (expected === "ok") planOf(result);
      else expectFailure(result, expected);
    },
  );

  it("R2: a staff member who is not a party can see a contract but gets forbidden on party actions", () => {
    const agg = onContract("active");
    expectFailure(decideEnd(agg, STAFF, "", context()), "forbidden");
    expectFailure(decideEnd(agg, STRANGER, "", context()), "not_found");
  });

  it("R19: only staff may resolve a dispute; the parties get forbidden, a stranger not_found", () => {
    const { agg, request } = onRefund("disputed");
    const dispute = makeDispute("open");
    const resolve = (caller: Caller) =>
      decideResolveDispute(agg, caller, dispute, request, SPLIT, context());
    expectFailure(resolve(CLIENT), "forbidden");
    expectFailure(resolve(FREELANCER), "forbidden");
    expectFailure(resolve(STRANGER), "not_found");
    const plan = planOf(resolve(STAFF));
    expect(plan.actor).toEqual({ kind: "staff", userId: STAFF.userId });
    expect(plan.disputes[0]?.resolvedBy).toBe(STAFF.userId);
  });

  it("R16: the proposer of a due date change may not answer it (forbidden), the other party may", () => {
    const { agg, milestone } = onMilestone("funded");
    const byClient = makeDueDateChange("pending", { proposedBy: CLIENT.userId });
    expectFailure(
      decideAnswerDueDate(agg, CLIENT, milestone, byClient, "accept", context()),
      "forbidden",
    );
    const plan = planOf(
      decideAnswerDueDate(agg, FREELANCER, milestone, byClient, "accept", context()),
    );
    expect(plan.dueDateChanges[0]?.status).toBe("accepted");
  });
});

describe("after the review window has ended", () => {
  it("R14: the client can no longer request changes or approve a different amount; the timed rule releases in full", () => {
    const submitted = makeMilestone(1, "submitted", { autoApproveAt: NOW });
    const agg = makeAggregate({ contract: { status: "active" }, milestones: [submitted] });
    expectFailure(
      decideRequestChanges(agg, CLIENT, submitted, null, "late", context()),
      "invalid_state",
    );
    expectFailure(
      decideApproveMilestone(agg, CLIENT, submitted, null, 1, context()),
      "invalid_state",
    );
    const auto = planOf(decideAutoApproveMilestone(agg, submitted, null, context()));
    expect(auto.milestones[0]).toMatchObject({
      status: "paid",
      releasedAmount: submitted.fundedAmount,
    });
  });

  it("R14: one millisecond before the window ends the client still answers", () => {
    const submitted = makeMilestone(1, "submitted", { autoApproveAt: NOW + 1 });
    const agg = makeAggregate({ contract: { status: "active" }, milestones: [submitted] });
    expect(
      planOf(decideRequestChanges(agg, CLIENT, submitted, null, "in time", context())).milestones[0]
        ?.status,
    ).toBe("changes_requested");
  });
});

describe("after the refund response window has ended", () => {
  it("R18, R20: the freelancer can no longer approve or dispute, nor the client cancel; the timed rule approves", () => {
    const request = makeRefundRequest("pending", { respondBy: NOW });
    const agg = makeAggregate({
      contract: { status: "ended" },
      milestones: [makeMilestone(1, "funded")],
      openRefundRequest: request,
    });
    expectFailure(decideApproveRefund(agg, FREELANCER, request, context()), "invalid_state");
    expectFailure(
      decideDisputeRefund(agg, FREELANCER, request, "late", context()),
      "invalid_state",
    );
    expect(planOf(decideAutoApproveRefund(agg, request, context())).refundRequests[0]?.status).toBe(
      "auto_approved",
    );
  });
});
