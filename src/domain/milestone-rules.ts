/**
 * Milestones (R10-R16): add, edit, cancel, fund, submit, request changes, approve (manual and
 * automatic), and due date changes.
 */
import {
  authorize,
  autoApproveTime,
  isFinal,
  holdsMoney,
  makePlan,
  unallocatedEscrow,
  userActor,
  type Caller,
  type ContractAggregate,
  type DecideContext,
  type Plan,
} from "./aggregate.js";
import type { Movement } from "./ledger.js";
import {
  allows,
  DUE_DATE_CHANGE_TRANSITIONS,
  MILESTONE_TRANSITIONS,
  type MilestoneCommand,
} from "./machines.js";
import { fail, ok, type Failure, type Result } from "./result.js";
import { SYSTEM, type DueDateChange, type Milestone, type Submission } from "./types.js";
import {
  checkAmount,
  checkDueDate,
  checkLinks,
  checkText,
  firstFailure,
  LIMITS,
} from "./validation.js";

function checkMilestoneCommand(milestone: Milestone, command: MilestoneCommand): Failure | null {
  return allows(MILESTONE_TRANSITIONS[command], milestone.status)
    ? null
    : fail(
        "invalid_state",
        `cannot ${command.replace("_", " ")} a milestone that is ${milestone.status}`,
      );
}

function requireActive(agg: ContractAggregate): Failure | null {
  return agg.contract.status === "active"
    ? null
    : fail("invalid_state", `the contract is ${agg.contract.status}, not active`);
}

/**
 * R14: once a submission's review window has ended, the automatic approval is what happens; a
 * late answer from the client would race the sweep, so it is refused the same way whether or
 * not the sweep has run yet.
 */
export function requireReviewWindowOpen(milestone: Milestone, now: number): Failure | null {
  return milestone.status === "submitted" &&
    milestone.autoApproveAt !== null &&
    milestone.autoApproveAt <= now
    ? fail(
        "invalid_state",
        "the review window has ended: the full amount is being released automatically",
      )
    : null;
}

function requireNoOpenRefund(agg: ContractAggregate): Failure | null {
  return agg.openRefundRequest === null
    ? null
    : fail("invalid_state", "the escrow is frozen by an open refund request");
}

export interface NewMilestoneInput {
  readonly title: string;
  readonly description?: string | undefined;
  readonly amount: number;
  readonly dueDate?: string | null | undefined;
}

/** R10: the client appends a milestone to an active contract. */
export function decideAddMilestone(
  agg: ContractAggregate,
  caller: Caller,
  input: NewMilestoneInput,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "client", "contract") ??
    firstFailure(
      checkText(input.title, "title", LIMITS.title, true),
      checkText(input.description ?? "", "description", LIMITS.description, false),
      checkAmount(input.amount, "amount"),
      checkDueDate(input.dueDate, "dueDate"),
    ) ??
    requireActive(agg) ??
    (agg.milestones.length >= LIMITS.milestones
      ? fail("invalid_state", `a contract may have at most ${LIMITS.milestones} milestones`)
      : null);
  if (refused) return refused;
  const last = agg.milestones[agg.milestones.length - 1];
  const milestone: Milestone = {
    id: ctx.newId("ms"),
    contractId: agg.contract.id,
    position: (last?.position ?? 0) + 1,
    title: input.title,
    description: input.description ?? "",
    amount: input.amount,
    dueDate: input.dueDate ?? null,
    status: "pending",
    fundedAmount: 0,
    releasedAmount: 0,
    submittedAt: null,
    autoApproveAt: null,
    createdAt: ctx.now,
  };
  return ok(
    makePlan(agg, userActor(caller), {
      milestones: [milestone],
      events: [
        {
          type: "milestone.added",
          data: { milestoneId: milestone.id, title: milestone.title, amount: milestone.amount },
        },
      ],
    }),
  );
}

export interface MilestoneEdit {
  readonly amount?: number | undefined;
  readonly description?: string | undefined;
}

/** R10: before funding, the client may change amount and description (never title or order). */
export function decideUpdateMilestone(
  agg: ContractAggregate,
  caller: Caller,
  milestone: Milestone,
  edit: MilestoneEdit,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "client", "milestone") ??
    firstFailure(
      edit.amount === undefined ? null : checkAmount(edit.amount, "amount"),
      edit.description === undefined
        ? null
        : checkText(edit.description, "description", LIMITS.description, false),
    ) ??
    requireActive(agg) ??
    checkMilestoneCommand(milestone, "update");
  if (refused) return refused;
  const updated = {
    ...milestone,
    amount: edit.amount ?? milestone.amount,
    description: edit.description ?? milestone.description,
  };
  return ok(
    makePlan(agg, userActor(caller), {
      milestones: [updated],
      events: [{ type: "milestone.updated", data: { milestoneId: milestone.id, ...edit } }],
    }),
  );
}

/** R10: an unfunded milestone may be cancelled; it stays in the list. */
export function decideCancelMilestone(
  agg: ContractAggregate,
  caller: Caller,
  milestone: Milestone,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "client", "milestone") ??
    requireActive(agg) ??
    checkMilestoneCommand(milestone, "cancel");
  if (refused) return refused;
  return ok(
    makePlan(agg, userActor(caller), {
      milestones: [{ ...milestone, status: "cancelled" }],
      events: [{ type: "milestone.cancelled", data: { milestoneId: milestone.id } }],
    }),
  );
}

/**
 * R11: one funded milestone at a time, in order; unallocated escrow is used first and only the
 * rest is charged.
 */
export function decideFundMilestone(
  agg: ContractAggregate,
  caller: Caller,
  milestone: Milestone,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "client", "milestone") ??
    requireActive(agg) ??
    checkMilestoneCommand(milestone, "fund");
  if (refused) return refused;
  const blocking = agg.milestones.find(
    (m) =>
      m.id !== milestone.id && (holdsMoney(m) || (m.position < milestone.position && !isFinal(m))),
  );
  if (blocking) {
    const why = holdsMoney(blocking) ? "is funded" : "is not yet paid or cancelled";
    return fail(
      "invalid_state",
      `milestone ${blocking.position} ${why}; fund milestones one at a time, in order`,
    );
  }
  const fromUnallocated = Math.min(unallocatedEscrow(agg), milestone.amount);
  const charged = milestone.amount - fromUnallocated;
  const movements: Movement[] =
    charged > 0 ? [{ kind: "deposit", amount: charged, milestoneId: milestone.id }] : [];
  return ok(
    makePlan(agg, userActor(caller), {
      milestones: [{ ...milestone, status: "funded", fundedAmount: milestone.amount }],
      charge: charged,
      movements,
      ledgerCause: `fund:${milestone.id}`,
      events: [
        {
          type: "milestone.funded",
          data: { milestoneId: milestone.id, amount: milestone.amount, charged, fromUnallocated },
        },
      ],
    }),
  );
}

export interface SubmitInput {
  readonly message: string;
  readonly links?: readonly string[] | undefined;
}

/** R12, R14: the freelancer submits work for the funded milestone; the review clock starts. */
export function decideSubmitWork(
  agg: ContractAggregate,
  caller: Caller,
  milestone: Milestone,
  input: SubmitInput,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "freelancer", "milestone") ??
    firstFailure(
      checkText(input.message, "message", LIMITS.message, true),
      checkLinks(input.links, "links"),
    ) ??
    requireActive(agg) ??
    checkMilestoneCommand(milestone, "submit");
  if (refused) return refused;
  const submission: Submission = {
    id: ctx.newId("sub"),
    milestoneId: milestone.id,
    message: input.message,
    links: input.links ?? [],
    createdAt: ctx.now,
    reviewOutcome: null,
    reviewMessage: null,
    reviewedAt: null,
  };
  const autoApproveAt = autoApproveTime(agg.contract, ctx.now);
  return ok(
    makePlan(agg, userActor(caller), {
      milestones: [{ ...milestone, status: "submitted", submittedAt: ctx.now, autoApproveAt }],
      submissions: [submission],
      events: [
        {
          type: "milestone.submitted",
          data: {
            milestoneId: milestone.id,
            submissionId: submission.id,
            autoApproveAt: new Date(autoApproveAt).toISOString(),
          },
        },
      ],
    }),
  );
}

/** R13, R14: a request for changes answers the submission and stops its clock. */
export function decideRequestChanges(
  agg: ContractAggregate,
  caller: Caller,
  milestone: Milestone,
  openSubmission: Submission | null,
  message: string,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "client", "milestone") ??
    checkText(message, "message", LIMITS.message, true) ??
    requireActive(agg) ??
    checkMilestoneCommand(milestone, "request_changes") ??
    requireReviewWindowOpen(milestone, ctx.now);
  if (refused) return refused;
  const reviewed = openSubmission && {
    ...openSubmission,
    reviewOutcome: "changes_requested" as const,
    reviewMessage: message,
    reviewedAt: ctx.now,
  };
  return ok(
    makePlan(agg, userActor(caller), {
      milestones: [{ ...milestone, status: "changes_requested", autoApproveAt: null }],
      submissions: reviewed ? [reviewed] : [],
      events: [
        { type: "milestone.changes_requested", data: { milestoneId: milestone.id, message } },
      ],
    }),
  );
}

/** The money movements of releasing `amount` for a milestone funded with `funded` (R13, R15). */
function releaseMovements(milestone: Milestone, amount: number): Movement[] {
  const fromEscrow = Math.min(amount, milestone.fundedAmount);
  const extra = amount - fromEscrow;
  const movements: Movement[] = [
    { kind: "release", amount: fromEscrow, milestoneId: milestone.id },
  ];
  if (extra > 0) movements.push({ kind: "extra", amount: extra, milestoneId: milestone.id });
  return movements;
}

function paid(milestone: Milestone, amount: number): Milestone {
  return { ...milestone, status: "paid", releasedAmount: amount, autoApproveAt: null };
}

/**
 * R13, R15: the client releases a funded milestone, with or without a submission, in full or a
 * different amount: less leaves the rest unallocated, more charges the difference.
 */
export function decideApproveMilestone(
  agg: ContractAggregate,
  caller: Caller,
  milestone: Milestone,
  openSubmission: Submission | null,
  requestedAmount: number | undefined,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "client", "milestone") ??
    (requestedAmount === undefined ? null : checkAmount(requestedAmount, "amount")) ??
    (agg.contract.status === "active" || agg.contract.status === "ended"
      ? null
      : fail("invalid_state", `the contract is ${agg.contract.status}`)) ??
    checkMilestoneCommand(milestone, "approve") ??
    requireNoOpenRefund(agg) ??
    requireReviewWindowOpen(milestone, ctx.now);
  if (refused) return refused;
  const amount = requestedAmount ?? milestone.fundedAmount;
  const extra = Math.max(0, amount - milestone.fundedAmount);
  const reviewed = openSubmission && {
    ...openSubmission,
    reviewOutcome: "approved" as const,
    reviewMessage: null,
    reviewedAt: ctx.now,
  };
  return ok(
    makePlan(agg, userActor(caller), {
      milestones: [paid(milestone, amount)],
      submissions: reviewed ? [reviewed] : [],
      charge: extra,
      movements: releaseMovements(milestone, amount),
      ledgerCause: `release:${milestone.id}`,
      events: [
        {
          type: "milestone.approved",
          data: {
            milestoneId: milestone.id,
            releasedAmount: amount,
            fundedAmount: milestone.fundedAmount,
            extraCharged: extra,
            leftUnallocated: Math.max(0, milestone.fundedAmount - amount),
          },
        },
      ],
    }),
  );
}

/** R14, R23: an unanswered submission is approved in full once its review window has passed. */
export function decideAutoApproveMilestone(
  agg: ContractAggregate,
  milestone: Milestone,
  openSubmission: Submission | null,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    checkMilestoneCommand(milestone, "auto_approve") ??
    (milestone.autoApproveAt !== null && milestone.autoApproveAt <= ctx.now
      ? null
      : fail("invalid_state", "the review window has not ended")) ??
    requireNoOpenRefund(agg);
  if (refused) return refused;
  const reviewed = openSubmission && {
    ...openSubmission,
    reviewOutcome: "auto_approved" as const,
    reviewMessage: null,
    reviewedAt: ctx.now,
  };
  return ok(
    makePlan(agg, SYSTEM, {
      milestones: [paid(milestone, milestone.fundedAmount)],
      submissions: reviewed ? [reviewed] : [],
      movements: releaseMovements(milestone, milestone.fundedAmount),
      ledgerCause: `release:${milestone.id}`,
      events: [
        {
          type: "milestone.auto_approved",
          data: { milestoneId: milestone.id, releasedAmount: milestone.fundedAmount },
        },
      ],
    }),
  );
}

/** R16: either party proposes a new due date; the other answers. */
export function decideProposeDueDate(
  agg: ContractAggregate,
  caller: Caller,
  milestone: Milestone,
  pending: DueDateChange | null,
  dueDate: string,
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "party", "milestone") ??
    checkDueDate(dueDate, "dueDate") ??
    requireActive(agg) ??
    checkMilestoneCommand(milestone, "propose_due_date") ??
    (pending
      ? fail("invalid_state", "a due date change for this milestone is already pending")
      : null);
  if (refused) return refused;
  const proposal: DueDateChange = {
    id: ctx.newId("ddc"),
    milestoneId: milestone.id,
    contractId: agg.contract.id,
    dueDate,
    proposedBy: caller.userId,
    status: "pending",
    createdAt: ctx.now,
    answeredAt: null,
  };
  return ok(
    makePlan(agg, userActor(caller), {
      dueDateChanges: [proposal],
      events: [
        {
          type: "due_date_change.proposed",
          data: { milestoneId: milestone.id, dueDateChangeId: proposal.id, dueDate },
        },
      ],
    }),
  );
}

export function decideAnswerDueDate(
  agg: ContractAggregate,
  caller: Caller,
  milestone: Milestone,
  proposal: DueDateChange,
  answer: "accept" | "decline",
  ctx: DecideContext,
): Result<Plan> {
  const refused =
    authorize(agg.contract, caller, "party", "due date change") ??
    (proposal.proposedBy === caller.userId
      ? fail("forbidden", "only the other party may answer a due date change")
      : null) ??
    (allows(DUE_DATE_CHANGE_TRANSITIONS[answer], proposal.status)
      ? null
      : fail("invalid_state", `the due date change is already ${proposal.status}`)) ??
    (answer === "accept"
      ? (requireActive(agg) ?? checkMilestoneCommand(milestone, "propose_due_date"))
      : null);
  if (refused) return refused;
  const status = answer === "accept" ? "accepted" : "declined";
  return ok(
    makePlan(agg, userActor(caller), {
      dueDateChanges: [{ ...proposal, status, answeredAt: ctx.now }],
      milestones: answer === "accept" ? [{ ...milestone, dueDate: proposal.dueDate }] : [],
      events: [
        {
          type: `due_date_change.${status}`,
          data: {
            milestoneId: milestone.id,
            dueDateChangeId: proposal.id,
            dueDate: proposal.dueDate,
          },
        },
      ],
    }),
  );
}
