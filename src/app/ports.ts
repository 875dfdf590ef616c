/**
 * The ports the use cases need. Adapters (storage, payments, clock) implement them; the use cases
 * never import an adapter.
 */
import type { ContractAggregate, Plan } from "../domain/aggregate.js";
import type { Result } from "../domain/result.js";
import type {
  Dispute,
  DueDateChange,
  Instant,
  RefundRequest,
  Submission,
} from "../domain/types.js";

export interface Clock {
  /** The current instant; the test clock reads it from the database. */
  now(): Promise<Instant>;
}

export interface IdGenerator {
  /** A new unique id such as `ctr_01J...`; ids sort by creation time. */
  next(prefix: string): string;
}

export interface ChargeRequest {
  readonly paymentMethodToken: string;
  readonly amount: number;
  readonly currency: string;
  /** Sent to the provider so a retried command never charges twice. */
  readonly idempotencyKey: string;
}

export interface RefundToSourceRequest {
  readonly paymentMethodToken: string;
  readonly amount: number;
  readonly currency: string;
  readonly idempotencyKey: string;
}

export type ProviderResult =
  | { readonly ok: true; readonly reference: string }
  | { readonly ok: false; readonly declineCode: string; readonly message: string };

export interface CardDetails {
  readonly brand: string;
  readonly last4: string;
}

/** A payment processor: the sandbox today, a real one behind the same port later. */
export interface PaymentProvider {
  readonly name: string;
  /** Checks a payment token and returns the card it stands for, or null if unknown. */
  describeToken(token: string): Promise<CardDetails | null>;
  charge(request: ChargeRequest): Promise<ProviderResult>;
  refund(request: RefundToSourceRequest): Promise<ProviderResult>;
}

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly isStaff: boolean;
  readonly createdAt: Instant;
}

export interface PaymentMethod {
  readonly id: string;
  readonly userId: string;
  readonly provider: string;
  readonly token: string;
  readonly brand: string;
  readonly last4: string;
  readonly createdAt: Instant;
}

export interface CommitInfo {
  readonly now: Instant;
  readonly journalEntryId: string;
  readonly providerReference: string | null;
  readonly newEventId: () => string;
}

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly response: StoredResponse | null;
}

export interface WriteOptions {
  /**
   * Work no one is waiting on, which yields to requests: `"rules"` (the timed rules, which move
   * money on deadlines) and, after them, `"notifications"` (fan-out and delivery records).
   */
  readonly background?: "rules" | "notifications";
}

/** Reads and writes inside one database transaction. */
export interface Tx {
  /** Loads a contract with its milestones and open refund request, locking the contract row. */
  loadAggregate(contractId: string): Promise<ContractAggregate | undefined>;
  /**
   * The same for the contract a milestone belongs to, found and locked in one statement (a
   * milestone never changes contract); undefined when there is no such milestone.
   */
  loadAggregateOfMilestone(milestoneId: string): Promise<ContractAggregate | undefined>;
  /**
   * Takes the contract's row lock without waiting: false when another transaction holds it.
   * The sweep uses it so that servers sweeping together split the work instead of queueing.
   */
  tryLockContract(contractId: string): Promise<boolean>;
  findOpenSubmission(milestoneId: string): Promise<Submission | null>;
  findRefundRequest(id: string): Promise<RefundRequest | undefined>;
  findDispute(id: string): Promise<Dispute | undefined>;
  findDueDateChange(id: string): Promise<DueDateChange | undefined>;
  findPendingDueDateChange(milestoneId: string): Promise<DueDateChange | null>;
  findUser(id: string): Promise<User | undefined>;
  findUserByEmail(email: string): Promise<User | undefined>;
  findDefaultPaymentMethod(userId: string): Promise<PaymentMethod | undefined>;
  insertPaymentMethod(method: PaymentMethod): Promise<void>;
  /** Writes every change of a plan: rows, one balanced journal entry and the events. */
  applyPlan(plan: Plan, info: CommitInfo): Promise<void>;
  /**
   * Claims an idempotency key, or returns the record already stored for it. Concurrent claims of
   * one key are serialized by the database: the second waits and then sees the first. A record
   * made before `expiredBefore` no longer counts.
   */
  claimIdempotencyKey(
    scope: IdempotencyScope,
    fingerprint: string,
    now: Instant,
    expiredBefore: Instant,
  ): Promise<IdempotencyRecord | null>;
  saveIdempotentResponse(scope: IdempotencyScope, response: StoredResponse): Promise<void>;
  releaseIdempotencyKey(scope: IdempotencyScope): Promise<void>;
  /** Runs `fn` in a savepoint, rolled back if it throws or returns a failure. */
  savepoint<T>(fn: () => Promise<Result<T>>): Promise<Result<T>>;
}

export interface IdempotencyScope {
  readonly userId: string;
  /** Method and path, e.g. `POST /v1/milestones/ms_1/approve`. */
  readonly endpoint: string;
  readonly key: string;
}

export interface Store {
  /**
   * Runs `fn` in one write transaction; committed durably before the promise resolves.
   * `background` work (the sweep, notifications) yields to requests that people are waiting for.
   */
  write<T>(fn: (tx: Tx) => Promise<T>, options?: WriteOptions): Promise<T>;
}

export interface EscrowSettings {
  readonly reviewWindowDays: number;
  readonly refundWindowDays: number;
}

/** What every use case is given. */
export interface Deps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly payments: PaymentProvider;
  readonly settings: EscrowSettings;
}

/** The context of one command inside its transaction. */
export interface CommandContext {
  readonly tx: Tx;
  readonly now: Instant;
  readonly deps: Deps;
  /** Stable key for provider calls and derived work, unique per command. */
  readonly commandKey: string;
}
