/**
 * Model-based test of the whole engine: random sequences of every use case, issued by random
 * actors on a few random contracts, checked after every step against an independent model
 * (expected statuses, escrow and money totals) and against the ledger in the database.
 *
 * Replay a failure with the seed (and path) that fast-check prints:
 *   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/app/model.test.ts
 * FC_RUNS / FC_RUNS_PG override the number of runs per dialect (200 / 30); FC_STATS=1 prints
 * how often each command was accepted or refused with each code.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import type { Caller } from "../../src/domain/aggregate.js";
import type { FailureCode } from "../../src/domain/failures.js";
import type { Result } from "../../src/domain/result.js";
import type {
  ContractStatus,
  MilestoneStatus,
  RefundRequestStatus,
  DueDateChangeStatus,
} from "../../src/domain/types.js";
import type { User } from "../../src/app/ports.js";
import { acceptOffer } from "../../src/app/use-cases/accept-offer.js";
import { addMilestone } from "../../src/app/use-cases/add-milestone.js";
import { addPaymentMethod } from "../../src/app/use-cases/add-payment-method.js";
import { answerDueDate } from "../../src/app/use-cases/answer-due-date.js";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { approveRefund } from "../../src/app/use-cases/approve-refund.js";
import { cancelMilestone } from "../../src/app/use-cases/cancel-milestone.js";
import { cancelRefund } from "../../src/app/use-cases/cancel-refund.js";
import { declineOffer } from "../../src/app/use-cases/decline-offer.js";
import { disputeRefund } from "../../src/app/use-cases/dispute-refund.js";
import { endContract } from "../../src/app/use-cases/end-contract.js";
import { fundMilestone } from "../../src/app/use-cases/fund-milestone.js";
import { makeOffer } from "../../src/app/use-cases/make-offer.js";
import { proposeDueDate } from "../../src/app/use-cases/propose-due-date.js";
import { requestChanges } from "../../src/app/use-cases/request-changes.js";
import { requestRefund } from "../../src/app/use-cases/request-refund.js";
import { resolveDispute } from "../../src/app/use-cases/resolve-dispute.js";
import { submitWork } from "../../src/app/use-cases/submit-work.js";
import { updateMilestone } from "../../src/app/use-cases/update-milestone.js";
import { withdrawOffer } from "../../src/app/use-cases/withdraw-offer.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";

const DAY = 24 * 60 * 60 * 1000;
const REVIEW_WINDOW = 14 * DAY;
const REFUND_WINDOW = 7 * DAY;
const MAX_AMOUNT = 10_000_000_000;
const MAX_CONTRACTS = 3;
const MAX_COMMANDS = 50;

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now();
const PATH = process.env.FC_PATH;
const RUNS: Record<Dialect, number> = {
  sqlite: Number(process.env.FC_RUNS ?? 200),
  postgres: Number(process.env.FC_RUNS_PG ?? 30),
};
console.log(`model.test: seed=${SEED} (replay with FC_SEED=${SEED})`);

// ---------------------------------------------------------------------------------------------
// Commands: plain data, so fast-check can print and shrink them. Contracts, milestones and
// requests are named by index (taken modulo what exists), so a shrunk sequence stays meaningful.

/** "proper": whoever the rules let do it (most commands); the others test R2 refusals. */
type Role = "proper" | "client" | "freelancer" | "stranger" | "staff";
type Card = "tok_visa" | "tok_mastercard" | "tok_chargeDeclined" | null;

interface Target {
  readonly c: number;
  /** Address an id that does not exist: the answer must be not_found. */
  readonly ghost: boolean;
  readonly actor: Role;
}

type Cmd =
  | {
      readonly kind: "offer";
      readonly client: number;
      readonly freelancer: number;
      readonly amounts: readonly number[];
    }
  | (Target & {
      readonly kind:
        | "accept"
        | "decline"
        | "withdraw"
        | "end"
        | "requestRefund"
        | "approveRefund"
        | "cancelRefund";
    })
  | (Target & { readonly kind: "disputeRefund"; readonly reason: string })
  | (Target & {
      readonly kind: "resolveDispute";
      readonly refundPct: number;
      readonly bad: boolean;
    })
  | (Target & { readonly kind: "addMilestone"; readonly amount: number })
  | (Target & { readonly kind: "updateMilestone"; readonly m: number; readonly amount: number })
  | (Target & {
      readonly kind: "cancelMilestone" | "fund" | "submit" | "requestChanges";
      readonly m: number;
    })
  | (Target & { readonly kind: "approve"; readonly m: number; readonly pct: number | null })
  | (Target & { readonly kind: "proposeDueDate"; readonly m: number; readonly date: string })
  | (Target & { readonly kind: "answerDueDate"; readonly accept: boolean })
  | { readonly kind: "addCard"; readonly person: number; readonly token: string }
  /** Moves the clock; `sweep: false` leaves the due rules for a later sweep (R23: downtime). */
  | { readonly kind: "advance"; readonly ms: number; readonly sweep: boolean }
  /** A step the model expects to succeed on contract `c` (option `pick`), to reach deep states. */
  | { readonly kind: "progress"; readonly c: number; readonly pick: number };

const validAmount = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1, max: 50_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(1, MAX_AMOUNT) },
);
/** Mostly valid, sometimes out of range (validation_failed). */
const anyAmount = fc.oneof(
  { weight: 9, arbitrary: validAmount },
  { weight: 1, arbitrary: fc.constantFrom(0, MAX_AMOUNT + 1) },
);
const role: fc.Arbitrary<Role> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Role>("proper") },
  { weight: 1, arbitrary: fc.constant<Role>("client") },
  { weight: 1, arbitrary: fc.constant<Role>("freelancer") },
  { weight: 1, arbitrary: fc.constant<Role>("staff") },
  { weight: 1, arbitrary: fc.constant<Role>("stranger") },
);
const ghost = fc.oneof(
  { weight: 29, arbitrary: fc.constant(false) },
  { weight: 1, arbitrary: fc.constant(true) },
);
const target = { c: fc.nat({ max: MAX_CONTRACTS - 1 }), ghost, actor: role };
/** -1: the milestone the command naturally applies to (see pickMilestone); else an index. */
const milestoneIndex = fc.oneof(
  { weight: 3, arbitrary: fc.constant(-1) },
  { weight: 1, arbitrary: fc.nat({ max: 5 }) },
);
const card: fc.Arbitrary<Card> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Card>("tok_visa") },
  { weight: 3, arbitrary: fc.constant<Card>("tok_chargeDeclined") },
  { weight: 1, arbitrary: fc.constant<Card>(null) },
);

const offerArb = fc.record({
  kind: fc.constant("offer" as const),
  client: fc.nat({ max: 2 }),
  // An offset from the client: 0 (an offer to oneself) is rare.
  freelancer: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(1, 2) },
    { weight: 1, arbitrary: fc.constant(0) },
  ),
  amounts: fc.array(validAmount, { minLength: 1, maxLength: 4 }),
});

function simple<K extends Cmd["kind"]>(kind: K) {
  return fc.record({ kind: fc.constant(kind), ...target });
}

const commandArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 50,
    arbitrary: fc.record({
      kind: fc.constant("progress" as const),
      c: target.c,
      pick: fc.nat({ max: 10_000 }),
    }),
  },
  { weight: 2, arbitrary: offerArb },
  { weight: 6, arbitrary: simple("accept") },
  { weight: 1, arbitrary: simple("decline") },
  { weight: 1, arbitrary: simple("withdraw") },
  {
    // The client ends more often (the escrow stays, R17-R20 follow); the freelancer gives it up.
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("end" as const),
      c: target.c,
      ghost,
      actor: fc.oneof(
        { weight: 3, arbitrary: fc.constant<Role>("proper") },
        { weight: 1, arbitrary: fc.constant<Role>("freelancer") },
        { weight: 1, arbitrary: role },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("addMilestone" as const),
      ...target,
      amount: anyAmount,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("updateMilestone" as const),
      ...target,
      m: milestoneIndex,
      amount: anyAmount,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("cancelMilestone" as const),
      ...target,
      m: milestoneIndex,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("fund" as const), ...target, m: milestoneIndex }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("submit" as const), ...target, m: milestoneIndex }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("requestChanges" as const),
      ...target,
      m: milestoneIndex,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("approve" as const),
      ...target,
      m: milestoneIndex,
      // null: the funded amount; otherwise a percentage of it (0 is invalid, >100 charges extra).
      pct: fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 200 }) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("proposeDueDate" as const),
      ...target,
      m: milestoneIndex,
      date: fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom("2026-02-01", "2026-03-15", "2027-12-31") },
        { weight: 1, arbitrary: fc.constant("2026-02-30") },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("answerDueDate" as const),
      ...target,
      accept: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: simple("requestRefund") },
  { weight: 2, arbitrary: simple("approveRefund") },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("disputeRefund" as const),
      ...target,
      reason: fc.oneof(
        { weight: 9, arbitrary: fc.constant("the work was delivered") },
        { weight: 1, arbitrary: fc.constant(" ") },
      ),
    }),
  },
  { weight: 1, arbitrary: simple("cancelRefund") },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("resolveDispute" as const),
      c: target.c,
      ghost,
      actor: fc.oneof(
        { weight: 6, arbitrary: fc.constant<Role>("staff") },
        { weight: 1, arbitrary: role },
      ),
      refundPct: fc.oneof(fc.constantFrom(0, 100), fc.integer({ min: 0, max: 100 })),
      bad: fc.oneof(
        { weight: 9, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("addCard" as const),
      person: fc.nat({ max: 2 }),
      token: fc.constantFrom("tok_visa", "tok_mastercard", "tok_chargeDeclined", "tok_bogus"),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      // Seconds to 20 days, mostly short, so answers often come before the 7/14-day rules.
      ms: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 24 * 3600 }).map((s) => s * 1000) },
        { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 * 24 * 3600 }).map((s) => s * 1000) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 * 24 * 3600 }).map((s) => s * 1000) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }).map((d) => d * DAY) },
      ),
      sweep: fc.oneof(
        { weight: 4, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
    }),
  },
);

const scenarioArb = fc.record({
  /** Person 0 always has a working card; the others may decline or have none. */
  cards: fc.tuple(fc.constant<Card>("tok_visa"), card, card),
  first: offerArb.map((offer) => ({ ...offer, client: 0 })),
  commands: fc.array(commandArb, { minLength: 20, maxLength: MAX_COMMANDS - 1, size: "max" }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

// ---------------------------------------------------------------------------------------------
// The model: our own bookkeeping of what the rules say should have happened.

interface MMilestone {
  id: string;
  amount: number;
  status: MilestoneStatus;
  funded: number;
  released: number;
  autoApproveAt: number | null;
  dueDate: string | null;
}
interface MRefund {
  id: string;
  amount: number;
  status: RefundRequestStatus;
  respondBy: number;
}
interface MDispute {
  id: string;
  amount: number;
  status: "open" | "resolved";
}
interface MDueDate {
  id: string;
  milestoneId: string;
  proposedBy: string;
  dueDate: string;
  status: DueDateChangeStatus;
}
interface MContract {
  id: string;
  client: number;
  freelancer: number;
  clientUserId: string;
  status: ContractStatus;
  endedBy: "client" | "freelancer" | null;
  escrow: number;
  /** Escrow account totals: money in, out to the freelancer, back to the client. */
  deposited: number;
  released: number;
  refunded: number;
  milestones: MMilestone[];
  refunds: MRefund[];
  disputes: MDispute[];
  dueDates: MDueDate[];
}
interface Person {
  user: Caller & User;
  card: Card;
  /** Expected ledger balances of the person's accounts. */
  paymentSource: number;
  earnings: number;
}
interface World {
  engine: TestEngine;
  freshEngine: boolean;
  persons: Person[];
  stranger: Caller & User;
  staff: Caller & User;
  contracts: MContract[];
  /** Every posting seen so far, to prove ledger rows are never updated or deleted (R4). */
  postings: Map<string, string>;
}

const HOLDING: readonly MilestoneStatus[] = ["funded", "submitted", "changes_requested"];
const FINAL: readonly MilestoneStatus[] = ["paid", "refunded", "cancelled"];
const holds = (m: MMilestone) => HOLDING.includes(m.status);
const isFinal = (m: MMilestone) => FINAL.includes(m.status);
const validAmountValue = (n: number) => Number.isSafeInteger(n) && n >= 1 && n <= MAX_AMOUNT;
/** The refusal of an answer after its window ended (R14, R18), swept or not (R23). */
function late(ended: boolean): FailureCode | null {
  lateAnswer = ended;
  return ended ? "invalid_state" : null;
}

/** R14: the submission's review window has ended (the sweep may not have run yet). */
const reviewEnded = (m: MMilestone, now: number) =>
  m.status === "submitted" && m.autoApproveAt !== null && m.autoApproveAt <= now;
const openRefund = (c: MContract) =>
  c.refunds.find((r) => r.status === "pending" || r.status === "disputed");

/** The milestone a command addresses: by index, or (-1) the one it naturally applies to. */
function pickMilestone(c: MContract, cmd: ContractCmd & { m: number }): MMilestone {
  const all = c.milestones;
  if (cmd.m >= 0) return all[cmd.m % all.length]!;
  const first = (...statuses: MilestoneStatus[]) => all.find((x) => statuses.includes(x.status));
  const pending = all.filter((x) => x.status === "pending");
  const natural =
    cmd.kind === "fund"
      ? pending[0]
      : cmd.kind === "submit"
        ? first("funded", "changes_requested")
        : cmd.kind === "requestChanges"
          ? first("submitted")
          : cmd.kind === "approve"
            ? first(...HOLDING)
            : cmd.kind === "updateMilestone" || cmd.kind === "cancelMilestone"
              ? pending.at(-1)
              : all.find((x) => !FINAL.includes(x.status));
  return natural ?? all[0]!;
}

/** Who "proper" is for each command. */
function properRole(cmd: ContractCmd, c: MContract | undefined): Exclude<Role, "proper"> {
  switch (cmd.kind) {
    case "accept":
    case "decline":
    case "submit":
    case "approveRefund":
    case "disputeRefund":
      return "freelancer";
    case "withdraw":
    case "end":
    case "addMilestone":
    case "updateMilestone":
    case "cancelMilestone":
    case "fund":
    case "requestChanges":
    case "approve":
    case "requestRefund":
    case "cancelRefund":
      return "client";
    case "proposeDueDate":
      return cmd.m % 2 === 0 ? "client" : "freelancer";
    case "answerDueDate": {
      const proposal = c?.dueDates.at(-1);
      return c && proposal?.proposedBy === c.clientUserId ? "freelancer" : "client";
    }
    case "resolveDispute":
      return "staff";
  }
}

function callerFor(w: World, c: MContract | undefined, cmd: ContractCmd): Caller & User {
  const actor = cmd.actor === "proper" ? properRole(cmd, c) : cmd.actor;
  switch (actor) {
    case "client":
      return c ? w.persons[c.client]!.user : w.persons[0]!.user;
    case "freelancer":
      return c ? w.persons[c.freelancer]!.user : w.persons[1]!.user;
    case "stranger":
      return w.stranger;
    case "staff":
      return w.staff;
  }
}

/** R2: invisible is not_found, visible but not yours is forbidden. */
function authz(
  w: World,
  c: MContract | undefined,
  caller: Caller,
  role: "client" | "freelancer" | "party" | "staff",
): FailureCode | null {
  if (!c) return "not_found";
  const party =
    caller.userId === w.persons[c.client]!.user.id
      ? "client"
      : caller.userId === w.persons[c.freelancer]!.user.id
        ? "freelancer"
        : null;
  if (party === null && !caller.isStaff) return "not_found";
  const allowed =
    role === "staff" ? caller.isStaff : role === "party" ? party !== null : party === role;
  return allowed ? null : "forbidden";
}

function refundEverything(w: World, c: MContract): void {
  for (const m of c.milestones.filter(holds)) {
    m.status = "refunded";
    m.autoApproveAt = null;
  }
  c.refunded += c.escrow;
  w.persons[c.client]!.paymentSource += c.escrow;
  c.escrow = 0;
}

function cancelUnfunded(c: MContract): void {
  for (const m of c.milestones) if (m.status === "pending") m.status = "cancelled";
}

/** Releases `amount` for `m`: from its escrow up to the funded amount, the rest charged extra. */
function release(w: World, c: MContract, m: MMilestone, amount: number): void {
  const fromEscrow = Math.min(amount, m.funded);
  c.escrow -= fromEscrow;
  c.released += fromEscrow;
  w.persons[c.freelancer]!.earnings += amount;
  w.persons[c.client]!.paymentSource -= amount - fromEscrow;
  m.status = "paid";
  m.released = amount;
  m.autoApproveAt = null;
}

function charge(w: World, c: MContract, amount: number): FailureCode | null {
  if (amount === 0) return null;
  const card = w.persons[c.client]!.card;
  if (card === null) return "payment_method_required";
  return card === "tok_chargeDeclined" ? "payment_failed" : null;
}

// ---------------------------------------------------------------------------------------------
// Running one command against the engine and the model.

class StepFailure extends Error {}

/** How often each command ended in each outcome (printed with FC_STATS=1). */
const stats = new Map<string, number>();
let currentKind = "";
/** What the last command did, for the trace printed on failure. */
let outcome = "";
/** Set when the reason for a refusal the model expects is an ended review or response window. */
let lateAnswer = false;
function tally(kind: string, outcome: string): void {
  const key = `${kind} ${outcome}`;
  stats.set(key, (stats.get(key) ?? 0) + 1);
}

/** Checks the engine's answer against the model's expectation; true when it was accepted. */
function settle(result: Result<unknown>, expected: FailureCode | null): boolean {
  tally(currentKind, result.ok ? "ok" : result.code);
  outcome = result.ok ? "ok" : result.code;
  if (expected === "invalid_state" && lateAnswer) tally(currentKind, "refused: window ended");
  if (expected === null) {
    if (!result.ok) {
      throw new StepFailure(`expected success, got ${result.code}: ${result.message}`);
    }
    return true;
  }
  if (result.ok) throw new StepFailure(`expected refusal ${expected}, but it succeeded`);
  if (result.code !== expected) {
    throw new StepFailure(`expected refusal ${expected}, got ${result.code}: ${result.message}`);
  }
  return false;
}

function planOf(result: Result<unknown>) {
  if (!result.ok) throw new StepFailure("no plan");
  return result.value as {
    milestones: { id: string }[];
    refundRequests: { id: string }[];
    disputes: { id: string }[];
    dueDateChanges: { id: string }[];
  };
}

async function step(w: World, cmd: Cmd): Promise<void> {
  const { engine } = w;
  const now = engine.clock.current;
  currentKind = cmd.kind;
  lateAnswer = false;
  outcome = "skipped";
  switch (cmd.kind) {
    case "offer": {
      if (w.contracts.length >= MAX_CONTRACTS) return;
      const clientIndex = cmd.client % 3;
      const freelancerIndex = (cmd.client + cmd.freelancer) % 3;
      const client = w.persons[clientIndex]!;
      const freelancer = w.persons[freelancerIndex]!;
      const card = client.card;
      const expected: FailureCode | null =
        clientIndex === freelancerIndex
          ? "validation_failed"
          : card === null
            ? "payment_method_required"
            : card === "tok_chargeDeclined"
              ? "payment_failed"
              : null;
      const result = await engine.run((ctx) =>
        makeOffer(ctx, client.user, {
          freelancerEmail: freelancer.user.email,
          title: "Contract",
          currency: "USD",
          milestones: cmd.amounts.map((amount, i) => ({ title: `M${i + 1}`, amount })),
        }),
      );
      if (!settle(result, expected) || !result.ok) return;
      const { contractId } = result.value;
      const rows = await engine.database.handle.db
        .selectFrom("milestones")
        .select("id")
        .where("contract_id", "=", contractId)
        .orderBy("position")
        .execute();
      const first = cmd.amounts[0]!;
      w.contracts.push({
        id: contractId,
        client: clientIndex,
        freelancer: freelancerIndex,
        clientUserId: client.user.id,
        status: "offered",
        endedBy: null,
        escrow: first,
        deposited: first,
        released: 0,
        refunded: 0,
        milestones: cmd.amounts.map((amount, i) => ({
          id: rows[i]?.id ?? `missing-${i}`,
          amount,
          status: i === 0 ? "funded" : "pending",
          funded: i === 0 ? amount : 0,
          released: 0,
          autoApproveAt: null,
          dueDate: null,
        })),
        refunds: [],
        disputes: [],
        dueDates: [],
      });
      client.paymentSource -= first;
      return;
    }
    case "addCard": {
      const person = w.persons[cmd.person % 3]!;
      const expected = cmd.token === "tok_bogus" ? "validation_failed" : null;
      const result = await engine.run((ctx) => addPaymentMethod(ctx, person.user.id, cmd.token));
      if (settle(result, expected)) person.card = cmd.token as Card;
      return;
    }
    case "advance": {
      engine.clock.advance(cmd.ms);
      outcome = `${cmd.ms / 1000}s${cmd.sweep ? "" : ",no-sweep"}`;
      if (!cmd.sweep) {
        tally("advance", "no sweep");
        return;
      }
      const at = engine.clock.current;
      let fired = 0;
      for (const c of w.contracts) {
        const open = openRefund(c);
        if (open) {
          // R17: an open request freezes the escrow; R18: unanswered for 7 days, it is approved.
          if (open.status === "pending" && open.respondBy <= at) {
            open.status = "auto_approved";
            refundEverything(w, c);
            fired++;
            tally("advance", "auto-approved refund");
          }
          continue;
        }
        for (const m of c.milestones) {
          if (reviewEnded(m, at)) {
            release(w, c, m, m.funded);
            fired++;
            tally("advance", "auto-approved milestone");
          }
        }
      }
      const swept = await engine.sweep();
      tally("advance", "swept");
      // A shared database may hold due rules of earlier runs; count only on a fresh one.
      if (w.freshEngine && (swept.fired !== fired || swept.skipped !== 0)) {
        throw new StepFailure(
          `sweep fired ${swept.fired} (skipped ${swept.skipped}), model expected ${fired}`,
        );
      }
      return;
    }
    case "progress": {
      const options = progressOptions(w, cmd);
      return step(w, options[cmd.pick % options.length]!);
    }
    case "accept":
    case "decline":
    case "withdraw":
    case "end":
    case "addMilestone":
    case "updateMilestone":
    case "cancelMilestone":
    case "fund":
    case "submit":
    case "requestChanges":
    case "approve":
    case "proposeDueDate":
    case "answerDueDate":
    case "requestRefund":
    case "approveRefund":
    case "disputeRefund":
    case "cancelRefund":
    case "resolveDispute":
      return contractCommand(w, cmd, now);
  }
}

/**
 * The ways forward from the state of contract `cmd.c`: commands by the proper actor that move it
 * on (mostly accepted, but the model still decides what the answer must be), and the clock moves
 * that make the timed rules and their edges (R14, R17, R18, R20, R23) likely.
 */
function progressOptions(w: World, cmd: { c: number; pick: number }): Cmd[] {
  const fresh: Cmd = { kind: "offer", client: cmd.pick, freelancer: 1, amounts: [500, 700] };
  if (w.contracts.length === 0) return [fresh];
  const index = cmd.c % w.contracts.length;
  const c = w.contracts[index]!;
  const base = { c: index, ghost: false, actor: "proper" as Role };
  const amount = 100 + (cmd.pick % 997) * 13;
  const pct = cmd.pick % 150;
  const holding = c.milestones.find(holds);
  const hasPending = c.milestones.some((x) => x.status === "pending");
  const open = openRefund(c);
  const options: Cmd[] = [];
  const add = (times: number, option: Cmd) => {
    for (let i = 0; i < times; i++) options.push(option);
  };
  if (c.status === "offered") {
    add(4, { ...base, kind: "accept" });
    add(1, { ...base, kind: "decline" });
    add(1, { ...base, kind: "withdraw" });
  } else if (c.status === "active") {
    if (holding?.status === "submitted") {
      add(2, { ...base, kind: "requestChanges", m: -1 });
      add(1, { kind: "advance", ms: 14 * DAY, sweep: true });
      // Late in the review window (then end and ask for a refund: R17 freezes the clock), or
      // past it with the sweep not yet run (R23): the client's answer is then too late.
      const left = holding.autoApproveAt! - w.engine.clock.current;
      if (left > 7 * DAY) add(4, { kind: "advance", ms: left - 7 * DAY + DAY, sweep: true });
      else add(4, { ...base, kind: "end" });
      const past = Math.max(0, left) + 1000 + (cmd.pick % 1000) * 1000;
      add(1, { kind: "advance", ms: past, sweep: false });
    } else if (holding) {
      add(3, { ...base, kind: "submit", m: -1 });
    } else if (hasPending) {
      add(4, { ...base, kind: "fund", m: -1 });
    }
    if (holding) {
      add(2, { ...base, kind: "approve", m: -1, pct: null });
      add(1, { ...base, kind: "approve", m: -1, pct: 1 + pct });
    }
    add(1, { ...base, kind: "addMilestone", amount });
    if (hasPending) {
      add(1, { ...base, kind: "updateMilestone", m: -1, amount });
      add(1, { ...base, kind: "cancelMilestone", m: -1 });
    }
    add(1, { ...base, kind: "proposeDueDate", m: -1, date: "2026-03-15" });
    if (c.dueDates.at(-1)?.status === "pending") {
      add(1, { ...base, kind: "answerDueDate", accept: cmd.pick % 2 === 0 });
    }
    add(2, { ...base, kind: "end" });
    if (holding?.status !== "submitted") add(1, { ...base, kind: "end", actor: "freelancer" });
  } else if (c.status === "ended") {
    if (open?.status === "pending") {
      add(1, { ...base, kind: "approveRefund" });
      add(2, { ...base, kind: "disputeRefund", reason: "the work was delivered" });
      add(holding && reviewEnded(holding, w.engine.clock.current) ? 6 : 1, {
        ...base,
        kind: "cancelRefund",
      });
      add(1, { kind: "advance", ms: 7 * DAY, sweep: true });
      add(1, { kind: "advance", ms: (1 + (cmd.pick % 6)) * DAY, sweep: true });
      // Past the response window with the sweep not yet run: answers are then too late.
      const overdueBy = Math.max(0, open.respondBy - w.engine.clock.current) + 1000;
      add(1, { kind: "advance", ms: overdueBy + (cmd.pick % 1000) * 1000, sweep: false });
      // To the end of a frozen review window (R17), so that cancelling approves it at once (R20).
      const frozen = holding?.autoApproveAt ?? null;
      const now = w.engine.clock.current;
      if (frozen !== null && frozen > now && frozen < open.respondBy) {
        add(5, { kind: "advance", ms: frozen - now, sweep: true });
      }
    } else if (open?.status === "disputed") {
      add(1, { ...base, kind: "resolveDispute", refundPct: cmd.pick % 101, bad: false });
    } else {
      if (c.escrow > 0) add(3, { ...base, kind: "requestRefund" });
      if (holding) add(1, { ...base, kind: "approve", m: -1, pct: null });
    }
  }
  if (options.length === 0)
    options.push(
      w.contracts.length < MAX_CONTRACTS ? fresh : { kind: "advance", ms: DAY, sweep: true },
    );
  return options;
}

const refundId = (request: MRefund | undefined) => request?.id ?? "rfd_01GHOST0000000000000000000";

type ContractCmd = Exclude<Cmd, { kind: "offer" | "addCard" | "advance" | "progress" }>;

async function contractCommand(w: World, cmd: ContractCmd, now: number): Promise<void> {
  const { engine } = w;
  const c =
    cmd.ghost || w.contracts.length === 0 ? undefined : w.contracts[cmd.c % w.contracts.length];
  const contractId = c?.id ?? "ctr_01GHOST0000000000000000000";
  const caller = callerFor(w, c, cmd);
  const m = "m" in cmd && c ? pickMilestone(c, cmd) : undefined;
  const milestoneId = m?.id ?? "ms_01GHOST0000000000000000000";
  const active = (): FailureCode | null => (c!.status === "active" ? null : "invalid_state");
  const milestoneIn = (...statuses: MilestoneStatus[]): FailureCode | null =>
    statuses.includes(m!.status) ? null : "invalid_state";

  switch (cmd.kind) {
    case "accept": {
      const expected =
        authz(w, c, caller, "freelancer") ?? (c!.status === "offered" ? null : "invalid_state");
      const result = await engine.run((ctx) => acceptOffer(ctx, caller, contractId));
      if (settle(result, expected)) c!.status = "active";
      return;
    }
    case "decline":
    case "withdraw": {
      const expected =
        authz(w, c, caller, cmd.kind === "decline" ? "freelancer" : "client") ??
        (c!.status === "offered" ? null : "invalid_state");
      const result = await engine.run((ctx) =>
        cmd.kind === "decline"
          ? declineOffer(ctx, caller, contractId)
          : withdrawOffer(ctx, caller, contractId),
      );
      if (!settle(result, expected)) return;
      c!.status = cmd.kind === "decline" ? "declined" : "withdrawn";
      refundEverything(w, c!);
      cancelUnfunded(c!);
      return;
    }
    case "end": {
      const byFreelancer = c !== undefined && caller.userId === w.persons[c.freelancer]!.user.id;
      const expected =
        authz(w, c, caller, "party") ??
        active() ??
        (byFreelancer && c.milestones.some((x) => x.status === "submitted")
          ? "invalid_state"
          : null);
      const result = await engine.run((ctx) => endContract(ctx, caller, contractId, "done"));
      if (!settle(result, expected)) return;
      c!.status = "ended";
      c!.endedBy = byFreelancer ? "freelancer" : "client";
      if (byFreelancer) refundEverything(w, c);
      cancelUnfunded(c!);
      return;
    }
    case "addMilestone": {
      const expected =
        authz(w, c, caller, "client") ??
        (validAmountValue(cmd.amount) ? null : "validation_failed") ??
        active();
      const result = await engine.run((ctx) =>
        addMilestone(ctx, caller, contractId, { title: "Extra", amount: cmd.amount }),
      );
      if (!settle(result, expected)) return;
      c!.milestones.push({
        id: planOf(result).milestones[0]!.id,
        amount: cmd.amount,
        status: "pending",
        funded: 0,
        released: 0,
        autoApproveAt: null,
        dueDate: null,
      });
      return;
    }
    case "updateMilestone": {
      const expected =
        authz(w, m && c, caller, "client") ??
        (validAmountValue(cmd.amount) ? null : "validation_failed") ??
        active() ??
        milestoneIn("pending");
      const result = await engine.run((ctx) =>
        updateMilestone(ctx, caller, milestoneId, { amount: cmd.amount, description: "edited" }),
      );
      if (settle(result, expected)) m!.amount = cmd.amount;
      return;
    }
    case "cancelMilestone": {
      const expected = authz(w, m && c, caller, "client") ?? active() ?? milestoneIn("pending");
      const result = await engine.run((ctx) => cancelMilestone(ctx, caller, milestoneId));
      if (settle(result, expected)) m!.status = "cancelled";
      return;
    }
    case "fund": {
      let expected = authz(w, m && c, caller, "client") ?? active() ?? milestoneIn("pending");
      let charged = 0;
      if (expected === null) {
        const index = c!.milestones.indexOf(m!);
        const blocked = c!.milestones.some(
          (x, i) =>
            x !== m && (holds(x) || (i < index && x.status !== "paid" && x.status !== "cancelled")),
        );
        const allocated = c!.milestones.filter(holds).reduce((s, x) => s + x.funded, 0);
        const unallocated = c!.escrow - allocated;
        charged = m!.amount - Math.min(unallocated, m!.amount);
        expected = blocked ? "invalid_state" : charge(w, c!, charged);
      }
      const result = await engine.run((ctx) => fundMilestone(ctx, caller, milestoneId));
      if (!settle(result, expected)) return;
      if (charged < m!.amount)
        tally("fund", charged === 0 ? "all unallocated" : "part unallocated");
      m!.status = "funded";
      m!.funded = m!.amount;
      c!.escrow += charged;
      c!.deposited += charged;
      w.persons[c!.client]!.paymentSource -= charged;
      return;
    }
    case "submit": {
      const expected =
        authz(w, m && c, caller, "freelancer") ??
        active() ??
        milestoneIn("funded", "changes_requested");
      const result = await engine.run((ctx) =>
        submitWork(ctx, caller, milestoneId, { message: "here it is", links: ["https://x.test"] }),
      );
      if (!settle(result, expected)) return;
      m!.status = "submitted";
      m!.autoApproveAt = now + REVIEW_WINDOW;
      return;
    }
    case "requestChanges": {
      // Once the review window has ended the automatic approval is what happens (R14).
      const expected =
        authz(w, m && c, caller, "client") ??
        active() ??
        milestoneIn("submitted") ??
        late(reviewEnded(m!, now));
      const result = await engine.run((ctx) => requestChanges(ctx, caller, milestoneId, "again"));
      if (!settle(result, expected)) return;
      m!.status = "changes_requested";
      m!.autoApproveAt = null;
      return;
    }
    case "approve": {
      const base = m ? (m.funded > 0 ? m.funded : m.amount) : 1;
      const amount = cmd.pct === null ? undefined : Math.floor((base * cmd.pct) / 100);
      let expected =
        authz(w, m && c, caller, "client") ??
        (amount === undefined || validAmountValue(amount) ? null : "validation_failed") ??
        (c!.status === "active" || c!.status === "ended" ? null : "invalid_state") ??
        milestoneIn(...HOLDING) ??
        (openRefund(c!) ? "invalid_state" : null) ??
        late(reviewEnded(m!, now));
      const released = amount ?? m?.funded ?? 0;
      if (expected === null) expected = charge(w, c!, Math.max(0, released - m!.funded));
      const result = await engine.run((ctx) => approveMilestone(ctx, caller, milestoneId, amount));
      if (!settle(result, expected)) return;
      tally("approve", released < m!.funded ? "less" : released > m!.funded ? "more" : "same");
      release(w, c!, m!, released);
      return;
    }
    case "proposeDueDate": {
      const pending =
        m && c?.dueDates.find((d) => d.milestoneId === m.id && d.status === "pending");
      const expected =
        authz(w, m && c, caller, "party") ??
        (cmd.date === "2026-02-30" ? "validation_failed" : null) ??
        active() ??
        (isFinal(m!) ? "invalid_state" : null) ??
        (pending ? "invalid_state" : null);
      const result = await engine.run((ctx) => proposeDueDate(ctx, caller, milestoneId, cmd.date));
      if (!settle(result, expected)) return;
      c!.dueDates.push({
        id: planOf(result).dueDateChanges[0]!.id,
        milestoneId: m!.id,
        proposedBy: caller.userId,
        dueDate: cmd.date,
        status: "pending",
      });
      return;
    }
    case "answerDueDate": {
      const proposal = c?.dueDates.at(-1);
      const target = proposal && c!.milestones.find((x) => x.id === proposal.milestoneId)!;
      const expected =
        authz(w, proposal && c, caller, "party") ??
        (proposal!.proposedBy === caller.userId ? "forbidden" : null) ??
        (proposal!.status === "pending" ? null : "invalid_state") ??
        (cmd.accept ? (active() ?? (isFinal(target!) ? "invalid_state" : null)) : null);
      const id = proposal?.id ?? "ddc_01GHOST0000000000000000000";
      const result = await engine.run((ctx) =>
        answerDueDate(ctx, caller, id, cmd.accept ? "accept" : "decline"),
      );
      if (!settle(result, expected)) return;
      proposal!.status = cmd.accept ? "accepted" : "declined";
      if (cmd.accept) target!.dueDate = proposal!.dueDate;
      return;
    }
    case "requestRefund": {
      const expected =
        authz(w, c, caller, "client") ??
        (c!.status === "ended" ? null : "invalid_state") ??
        (openRefund(c!) ? "invalid_state" : null) ??
        (c!.escrow > 0 ? null : "invalid_state") ??
        late(c!.milestones.some((x) => reviewEnded(x, now)));
      const result = await engine.run((ctx) => requestRefund(ctx, caller, contractId, "give back"));
      if (!settle(result, expected)) return;
      c!.refunds.push({
        id: planOf(result).refundRequests[0]!.id,
        amount: c!.escrow,
        status: "pending",
        respondBy: now + REFUND_WINDOW,
      });
      return;
    }
    // R18, R23: once the response window has ended the refund is approved automatically, swept
    // or not: a late answer (approve, dispute, or the client's cancel) is refused.
    case "approveRefund": {
      const request = c?.refunds.at(-1);
      const expected =
        authz(w, request && c, caller, "freelancer") ??
        (request!.status === "pending" ? null : "invalid_state") ??
        late(request!.respondBy <= now);
      const result = await engine.run((ctx) => approveRefund(ctx, caller, refundId(request)));
      if (!settle(result, expected)) return;
      request!.status = "approved";
      refundEverything(w, c!);
      return;
    }
    case "cancelRefund": {
      const request = c?.refunds.at(-1);
      const expected =
        authz(w, request && c, caller, "client") ??
        (request!.status === "pending" ? null : "invalid_state") ??
        late(request!.respondBy <= now);
      const result = await engine.run((ctx) => cancelRefund(ctx, caller, refundId(request)));
      if (!settle(result, expected)) return;
      request!.status = "cancelled";
      // R20 with API.md: a review window that ended while the request was open approves now.
      for (const x of c!.milestones) {
        if (reviewEnded(x, now)) {
          release(w, c!, x, x.funded);
          tally("cancelRefund", "released an overdue submission");
        }
      }
      return;
    }
    case "disputeRefund": {
      const request = c?.refunds.at(-1);
      const expected =
        authz(w, request && c, caller, "freelancer") ??
        (cmd.reason.trim() === "" ? "validation_failed" : null) ??
        (request!.status === "pending" ? null : "invalid_state") ??
        late(request!.respondBy <= now);
      const result = await engine.run((ctx) =>
        disputeRefund(ctx, caller, refundId(request), cmd.reason),
      );
      if (!settle(result, expected)) return;
      request!.status = "disputed";
      c!.disputes.push({
        id: planOf(result).disputes[0]!.id,
        amount: request!.amount,
        status: "open",
      });
      return;
    }
    case "resolveDispute": {
      const dispute = c?.disputes.at(-1);
      const id = dispute?.id ?? "dsp_01GHOST0000000000000000000";
      const amount = dispute?.amount ?? 100;
      const refundAmount = Math.floor((amount * cmd.refundPct) / 100);
      const releaseAmount = amount - refundAmount + (cmd.bad ? 1 : 0);
      const expected =
        authz(w, dispute && c, caller, "staff") ??
        (cmd.bad ? "validation_failed" : null) ??
        (dispute!.status === "open" ? null : "invalid_state");
      const result = await engine.run((ctx) =>
        resolveDispute(ctx, caller, id, { refundAmount, releaseAmount, reason: "split" }),
      );
      if (!settle(result, expected)) return;
      if (c!.escrow !== dispute!.amount) {
        throw new StepFailure(`escrow ${c!.escrow} differs from the disputed ${dispute!.amount}`);
      }
      dispute!.status = "resolved";
      c!.refunds.find((r) => r.status === "disputed")!.status = "resolved";
      // API.md: the release goes to the milestones holding money, in order; the last one
      // holding takes what is left; each that receives money is paid, the rest refunded.
      const holding = c!.milestones.filter(holds);
      tally(
        "resolveDispute",
        `${holding.length} holding, ${refundAmount > 0 ? "refund" : ""}+${releaseAmount > 0 ? "release" : ""}`,
      );
      let left = releaseAmount;
      holding.forEach((x, i) => {
        const share = i === holding.length - 1 ? left : Math.min(left, x.funded);
        left -= share;
        x.autoApproveAt = null;
        if (share > 0) {
          x.status = "paid";
          x.released = share;
        } else {
          x.status = "refunded";
        }
      });
      c!.escrow -= refundAmount + releaseAmount;
      c!.refunded += refundAmount;
      c!.released += releaseAmount;
      w.persons[c!.client]!.paymentSource += refundAmount;
      w.persons[c!.freelancer]!.earnings += releaseAmount;
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// After every step: the database against the model and the ledger invariants (R4).

/** Paths where `actual` (the database) and `expected` (the model) differ. */
function diff(actual: unknown, expected: unknown, path: string): string[] {
  if (Array.isArray(actual) && Array.isArray(expected)) {
    const length = Math.max(actual.length, expected.length);
    return Array.from({ length }, (_, i) => diff(actual[i], expected[i], `${path}[${i}]`)).flat();
  }
  if (actual && expected && typeof actual === "object" && typeof expected === "object") {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
    return [...keys].flatMap((key) =>
      diff(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${path}.${key}`,
      ),
    );
  }
  return Object.is(actual, expected)
    ? []
    : [`${path}: database ${JSON.stringify(actual)}, model ${JSON.stringify(expected)}`];
}

const RELEASE_TYPES = ["milestone_payment", "extra_payment", "dispute_release"];
const REFUND_TYPES = ["escrow_refund", "dispute_refund"];

async function verify(w: World): Promise<void> {
  const { engine } = w;
  const db = engine.database.handle.db;
  const ids = w.contracts.map((c) => c.id);
  const violations = await engine.violations();
  if (violations.length > 0) {
    throw new StepFailure(`ledger violations: ${JSON.stringify(violations)}`);
  }
  if (ids.length === 0) return;
  const [contracts, milestones, refunds, disputes, dueDates, postings] = await Promise.all([
    db.selectFrom("contracts").selectAll().where("id", "in", ids).execute(),
    db
      .selectFrom("milestones")
      .selectAll()
      .where("contract_id", "in", ids)
      .orderBy("position")
      .execute(),
    db
      .selectFrom("refund_requests")
      .selectAll()
      .where("contract_id", "in", ids)
      .orderBy("id")
      .execute(),
    db.selectFrom("disputes").selectAll().where("contract_id", "in", ids).orderBy("id").execute(),
    db
      .selectFrom("due_date_changes")
      .selectAll()
      .where("contract_id", "in", ids)
      .orderBy("id")
      .execute(),
    db
      .selectFrom("postings")
      .selectAll()
      .where("contract_id", "in", ids)
      .orderBy("entry_id")
      .orderBy("id")
      .execute(),
  ]);

  // The rows, as the model sees them.
  const actual = w.contracts.map((c) => {
    const row = contracts.find((r) => r.id === c.id);
    return {
      id: c.id,
      status: row?.status,
      endedBy: row?.ended_by,
      escrow: Number(row?.escrow_balance),
      milestones: milestones
        .filter((r) => r.contract_id === c.id)
        .map((r) => ({
          id: r.id,
          amount: Number(r.amount),
          status: r.status,
          funded: Number(r.funded_amount),
          released: Number(r.released_amount),
          autoApproveAt: r.auto_approve_at === null ? null : Number(r.auto_approve_at),
          dueDate: r.due_date,
        })),
      refunds: refunds
        .filter((r) => r.contract_id === c.id)
        .map((r) => ({
          id: r.id,
          amount: Number(r.amount),
          status: r.status,
          respondBy: Number(r.respond_by),
        })),
      disputes: disputes
        .filter((r) => r.contract_id === c.id)
        .map((r) => ({ id: r.id, amount: Number(r.amount), status: r.status })),
      dueDates: dueDates
        .filter((r) => r.contract_id === c.id)
        .map((r) => ({
          id: r.id,
          milestoneId: r.milestone_id,
          proposedBy: r.proposed_by,
          dueDate: r.due_date,
          status: r.status,
        })),
    };
  });
  const expected = w.contracts.map((c) => ({
    id: c.id,
    status: c.status,
    endedBy: c.endedBy,
    escrow: c.escrow,
    milestones: c.milestones,
    refunds: c.refunds,
    disputes: c.disputes,
    dueDates: c.dueDates,
  }));
  const differences = diff(actual, expected, "");
  if (differences.length > 0) {
    throw new StepFailure(`database differs from the model:\n  ${differences.join("\n  ")}`);
  }

  // Ledger rows are append-only.
  const current = new Map(
    postings.map((p) => [
      p.id,
      JSON.stringify([p.entry_id, p.account, Number(p.amount), p.type, p.milestone_id]),
    ]),
  );
  for (const [id, before] of w.postings) {
    if (current.get(id) !== before) throw new StepFailure(`posting ${id} was changed or deleted`);
  }
  w.postings = current;

  // Every journal entry balances (per currency).
  const entries = new Map<string, number>();
  for (const p of postings) {
    const key = `${p.entry_id}/${p.currency}`;
    entries.set(key, (entries.get(key) ?? 0) + Number(p.amount));
  }
  for (const [entry, total] of entries) {
    if (total !== 0) throw new StepFailure(`journal entry ${entry} sums to ${total}`);
  }

  for (const c of w.contracts) {
    const own = postings.filter((p) => p.contract_id === c.id);
    const client = w.persons[c.client]!.user.id;
    const freelancer = w.persons[c.freelancer]!.user.id;
    const allowedAccounts = [
      `escrow:${c.id}`,
      `payment_source:${client}`,
      `earnings:${freelancer}`,
    ];
    const stray = own.find((p) => !allowedAccounts.includes(p.account));
    if (stray) throw new StepFailure(`posting ${stray.id} on ${stray.account} for ${c.id}`);

    // Escrow never below zero, after any entry; escrow = deposits - released - refunded.
    const escrowRows = own.filter((p) => p.account === `escrow:${c.id}`);
    let running = 0;
    const sums = { deposited: 0, released: 0, refunded: 0 };
    for (const p of escrowRows) {
      const amount = Number(p.amount);
      running += amount;
      if (running < 0) throw new StepFailure(`escrow of ${c.id} negative after ${p.entry_id}`);
      if (p.type === "escrow_deposit") sums.deposited += amount;
      else if (RELEASE_TYPES.includes(p.type)) sums.released -= amount;
      else if (REFUND_TYPES.includes(p.type)) sums.refunded -= amount;
      else throw new StepFailure(`escrow posting of type ${p.type}`);
    }
    if (running !== sums.deposited - sums.released - sums.refunded) {
      throw new StepFailure(`escrow of ${c.id} is not deposits - released - refunded`);
    }
    const modelSums = { deposited: c.deposited, released: c.released, refunded: c.refunded };
    if (running !== c.escrow || JSON.stringify(sums) !== JSON.stringify(modelSums)) {
      throw new StepFailure(
        `escrow of ${c.id}: ledger ${running} ${JSON.stringify(sums)}, model ${c.escrow} ${JSON.stringify(modelSums)}`,
      );
    }

    // Money is never both released and refunded for the same milestone.
    for (const m of c.milestones) {
      const mine = own.filter((p) => p.milestone_id === m.id);
      const releaseEntries = new Set(
        mine
          .filter((p) => p.account_kind === "earnings" && RELEASE_TYPES.includes(p.type))
          .map((p) => p.entry_id),
      );
      const refundEntries = new Set(
        mine
          .filter((p) => p.account_kind === "payment_source" && REFUND_TYPES.includes(p.type))
          .map((p) => p.entry_id),
      );
      const ordinaryRefund = mine.some((p) => p.type === "escrow_refund");
      const ordinaryRelease = mine.some((p) => p.type === "milestone_payment");
      if (releaseEntries.size > 1 || refundEntries.size > 1) {
        throw new StepFailure(`milestone ${m.id} moved money more than once`);
      }
      if (ordinaryRefund && ordinaryRelease) {
        throw new StepFailure(`milestone ${m.id} was both released and refunded`);
      }
      if (m.status === "paid" && ordinaryRefund) {
        throw new StepFailure(`paid milestone ${m.id} has an escrow refund`);
      }
      if (m.status === "refunded" && releaseEntries.size > 0) {
        throw new StepFailure(`refunded milestone ${m.id} has a release`);
      }
    }
  }

  // Each person's accounts: what the model says they paid in and earned.
  for (const [index, person] of w.persons.entries()) {
    const sum = (account: string) =>
      postings.filter((p) => p.account === account).reduce((s, p) => s + Number(p.amount), 0);
    const source = sum(`payment_source:${person.user.id}`);
    const earned = sum(`earnings:${person.user.id}`);
    if (source !== person.paymentSource || earned !== person.earnings) {
      throw new StepFailure(
        `person ${index}: payment_source ${source} (model ${person.paymentSource}), earnings ${earned} (model ${person.earnings})`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------

async function runScenario(engine: TestEngine, freshEngine: boolean, s: Scenario): Promise<void> {
  const persons: Person[] = [];
  for (const [i, card] of s.cards.entries()) {
    const user = await engine.user(`Person${i}`, { card });
    persons.push({ user, card, paymentSource: 0, earnings: 0 });
  }
  const w: World = {
    engine,
    freshEngine,
    persons,
    stranger: await engine.user("Stranger"),
    staff: await engine.user("Staff", { staff: true, card: null }),
    contracts: [],
    postings: new Map(),
  };
  const commands: Cmd[] = [s.first, ...s.commands];
  const trace: string[] = [];
  for (const [index, cmd] of commands.entries()) {
    try {
      await step(w, cmd);
      trace.push(`${index}:${currentKind}=${outcome}`);
      await verify(w);
    } catch (error) {
      if (error instanceof StepFailure) {
        throw new Error(
          `step ${index} ${JSON.stringify(cmd)}: ${error.message}\ntrace: ${trace.join(" ")}`,
        );
      }
      throw error;
    }
  }
}

describe.each(DIALECTS)("model-based (%s)", (dialect) => {
  it("R2, R4, R5, R7-R20, R23: random command sequences keep the ledger balanced and match the model", async () => {
    // SQLite: a fresh database per run is cheap. PostgreSQL: one database, fresh users and
    // contracts per run.
    const shared = dialect === "postgres" ? await createTestEngine(dialect) : null;
    try {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (scenario) => {
          const engine = shared ?? (await createTestEngine(dialect));
          try {
            await runScenario(engine, shared === null, scenario);
          } finally {
            if (!shared) await engine.close();
          }
        }),
        {
          numRuns: RUNS[dialect],
          seed: SEED,
          ...(PATH ? { path: PATH } : {}),
          // Shrinking a long failing sequence can take minutes: stop in time to report it.
          interruptAfterTimeLimit: 480_000,
          markInterruptAsFailure: true,
        },
      );
    } finally {
      await shared?.close();
      if (process.env.FC_STATS) {
        console.log(
          [...stats]
            .sort()
            .map(([k, n]) => `${k}: ${n}`)
            .join("\n"),
        );
      }
    }
  }, 600_000);
});
