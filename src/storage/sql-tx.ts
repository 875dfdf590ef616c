/**
 * The Tx port over Kysely, for one connection inside an open transaction.
 */
import type { Kysely } from "kysely";
import type { ContractAggregate, Plan } from "../domain/aggregate.js";
import { assertBalanced, postingsFor, type PostingDraft } from "../domain/ledger.js";
import { OPEN_REFUND_STATUSES } from "../domain/machines.js";
import type { Result } from "../domain/result.js";
import type {
  CommitInfo,
  IdempotencyRecord,
  IdempotencyScope,
  PaymentMethod,
  StoredResponse,
  Tx,
  User,
} from "../app/ports.js";
import type { Dialect } from "./dialect.js";
import { insertAll, insertRows, marks, query, type Insert } from "./fast-sql.js";
import {
  contractFromRow,
  contractToRow,
  disputeFromRow,
  disputeToRow,
  dueDateChangeFromRow,
  dueDateChangeToRow,
  milestoneFromRow,
  milestoneToRow,
  paymentMethodFromRow,
  paymentMethodToRow,
  refundRequestFromRow,
  refundRequestToRow,
  submissionFromRow,
  submissionToRow,
  userFromRow,
} from "./rows.js";
import type { Database } from "./schema.js";

type Db = Kysely<Database>;

type Fixed = { readonly [T in keyof Database]?: readonly (keyof Database[T] & string)[] };
/**
 * Columns that a state row never changes once created (its parties, its place, its time):
 * the plan's upserts leave them out of the update, so the indexes on them are not rewritten.
 */
const FIXED = {
  contracts: ["client_id", "freelancer_id", "currency", "created_at"],
  milestones: ["contract_id", "position", "created_at"],
  submissions: ["milestone_id", "created_at"],
  refund_requests: ["contract_id", "created_at"],
  disputes: ["refund_request_id", "contract_id", "created_at"],
  due_date_changes: ["milestone_id", "contract_id", "created_at"],
} as const satisfies Fixed;

/** State rows written whole, their fixed columns left as created. */
function upsert<T extends keyof typeof FIXED>(table: T, rows: readonly Database[T][]): Insert {
  return { table, rows, options: { upsert: true, fixed: FIXED[table] } };
}

export class SqlTx implements Tx {
  private savepoints = 0;

  constructor(
    readonly db: Db,
    readonly dialect: Dialect,
  ) {}

  async loadAggregate(contractId: string): Promise<ContractAggregate | undefined> {
    return this.lockAndLoad(`"id" = ?`, contractId);
  }

  async loadAggregateOfMilestone(milestoneId: string): Promise<ContractAggregate | undefined> {
    return this.lockAndLoad(
      `"id" = (select "contract_id" from "milestones" where "id" = ?)`,
      milestoneId,
    );
  }

  private async lockAndLoad(
    which: string,
    parameter: string,
  ): Promise<ContractAggregate | undefined> {
    // PostgreSQL: lock the contract row; every command on a contract takes this lock first.
    // SQLite: the write transaction already holds the database's single write lock.
    const lock = this.dialect === "postgres" ? " for update" : "";
    const [row] = await this.rows<Database["contracts"]>(
      `select * from "contracts" where ${which}${lock}`,
      [parameter],
    );
    if (!row) return undefined;
    const { milestones, open } = await this.contractRows(row.id);
    return {
      contract: contractFromRow(row),
      milestones: milestones.map(milestoneFromRow),
      openRefundRequest: open ? refundRequestFromRow(open) : null,
    };
  }

  /** A locked contract's milestones and open refund request, read after the lock. */
  private async contractRows(contractId: string): Promise<{
    milestones: Database["milestones"][];
    open: Database["refund_requests"] | undefined;
  }> {
    const open = `"refund_requests" r where r."contract_id" = ? and r."status" in (${marks(OPEN_REFUND_STATUSES.length)}) limit 1`;
    if (this.dialect === "postgres") {
      // One round trip: the milestones as a JSON array and the open refund request as a JSON
      // object (a statement of its own, after the lock, so it sees what the lock waited for).
      // JSON carries bigint columns as plain numbers, exact here: amounts are at most 1e10 by
      // the tables' checks and times are epoch milliseconds.
      const [rest] = await this.rows<{
        milestones: Database["milestones"][];
        open_refund: Database["refund_requests"] | null;
      }>(
        `select (select coalesce(json_agg(m order by m."position"), '[]'::json) from "milestones" m where m."contract_id" = ?) as "milestones",
           (select row_to_json(r) from ${open}) as "open_refund"`,
        [contractId, contractId, ...OPEN_REFUND_STATUSES],
      );
      return { milestones: rest!.milestones, open: rest!.open_refund ?? undefined };
    }
    const [milestones, found] = await Promise.all([
      this.rows<Database["milestones"]>(
        `select * from "milestones" where "contract_id" = ? order by "position"`,
        [contractId],
      ),
      this.rows<Database["refund_requests"]>(`select r.* from ${open}`, [
        contractId,
        ...OPEN_REFUND_STATUSES,
      ]),
    ]);
    return { milestones, open: found[0] };
  }

  private async rows<R>(text: string, parameters: readonly unknown[]): Promise<R[]> {
    return (await query<R>(this.db, text, parameters)).rows;
  }

  async tryLockContract(contractId: string): Promise<boolean> {
    // SQLite has one writer at a time: holding the transaction is holding every lock.
    if (this.dialect === "sqlite") return true;
    const row = await this.db
      .selectFrom("contracts")
      .select("id")
      .where("id", "=", contractId)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    return row !== undefined;
  }

  async findOpenSubmission(milestoneId: string) {
    const [row] = await this.rows<Database["submissions"]>(
      `select * from "submissions" where "milestone_id" = ? and "review_outcome" is null order by "id" desc limit 1`,
      [milestoneId],
    );
    return row ? submissionFromRow(row) : null;
  }

  async findRefundRequest(id: string) {
    const row = await this.db
      .selectFrom("refund_requests")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && refundRequestFromRow(row);
  }

  async findDispute(id: string) {
    const row = await this.db
      .selectFrom("disputes")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && disputeFromRow(row);
  }

  async findDueDateChange(id: string) {
    const row = await this.db
      .selectFrom("due_date_changes")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && dueDateChangeFromRow(row);
  }

  async findPendingDueDateChange(milestoneId: string) {
    const row = await this.db
      .selectFrom("due_date_changes")
      .selectAll()
      .where("milestone_id", "=", milestoneId)
      .where("status", "=", "pending")
      .executeTakeFirst();
    return row ? dueDateChangeFromRow(row) : null;
  }

  async findUser(id: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && userFromRow(row);
  }

  async findUserByEmail(email: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", email)
      .executeTakeFirst();
    return row && userFromRow(row);
  }

  async findDefaultPaymentMethod(userId: string): Promise<PaymentMethod | undefined> {
    const [row] = await this.rows<Database["payment_methods"]>(
      `select * from "payment_methods" where "user_id" = ? order by "id" desc limit 1`,
      [userId],
    );
    return row && paymentMethodFromRow(row);
  }

  async insertPaymentMethod(method: PaymentMethod): Promise<void> {
    await this.db.insertInto("payment_methods").values(paymentMethodToRow(method)).execute();
  }

  /**
   * The plan's rows in one go: state upserts, reminders, the journal entry and its postings,
   * events and their outbox rows (one statement on PostgreSQL, see insertAll).
   */
  async applyPlan(plan: Plan, info: CommitInfo): Promise<void> {
    const events = plan.events.map(({ actor = plan.actor, ...event }) => ({
      id: info.newEventId(),
      contract_id: plan.contract.id,
      type: event.type,
      actor_kind: actor.kind,
      actor_user_id: actor.kind === "system" ? null : actor.userId,
      created_at: info.now,
      data: JSON.stringify(event.data),
    }));
    await insertAll(this.db, [
      upsert("contracts", plan.contractChanged ? [contractToRow(plan.contract)] : []),
      upsert("milestones", plan.milestones.map(milestoneToRow)),
      upsert("submissions", plan.submissions.map(submissionToRow)),
      upsert("refund_requests", plan.refundRequests.map(refundRequestToRow)),
      upsert("disputes", plan.disputes.map(disputeToRow)),
      upsert("due_date_changes", plan.dueDateChanges.map(dueDateChangeToRow)),
      {
        table: "reminders_sent",
        rows: plan.reminders.map((r) => ({
          subject_id: r.id,
          deadline: r.deadline,
          days_before: r.daysBefore,
          contract_id: plan.contract.id,
          sent_at: r.sentAt,
        })),
      },
      ...this.journalEntry(plan, info),
      { table: "events", rows: events },
      // Notifications, emails and webhooks are sent from the outbox after commit
      // (docs/NOTIFICATIONS.md).
      {
        table: "outbox",
        rows: events.map((e) => ({
          event_id: e.id,
          contract_id: e.contract_id,
          created_at: e.created_at,
        })),
      },
    ]);
  }

  /** R4: one balanced journal entry per plan, unique by its cause. */
  private journalEntry(plan: Plan, info: CommitInfo): Insert[] {
    if (plan.movements.length === 0) return [];
    if (plan.ledgerCause === null) throw new Error("a money movement needs a ledger cause");
    const { contract } = plan;
    const parties = {
      contractId: contract.id,
      clientId: contract.clientId,
      freelancerId: contract.freelancerId,
    };
    const postings: PostingDraft[] = plan.movements.flatMap((m) => postingsFor(parties, m));
    assertBalanced(postings);
    return [
      {
        table: "journal_entries",
        rows: [
          {
            id: info.journalEntryId,
            contract_id: contract.id,
            cause: plan.ledgerCause,
            currency: contract.currency,
            provider_reference: info.providerReference,
            created_at: info.now,
          },
        ],
      },
      {
        table: "postings",
        rows: postings.map((p, index) => ({
          id: `${info.journalEntryId}_${String(index).padStart(2, "0")}`,
          entry_id: info.journalEntryId,
          account: p.account,
          account_kind: p.accountKind,
          owner_user_id: p.ownerUserId,
          contract_id: contract.id,
          milestone_id: p.milestoneId,
          type: p.type,
          amount: p.amount,
          currency: contract.currency,
          created_at: info.now,
        })),
      },
    ];
  }

  async claimIdempotencyKey(
    scope: IdempotencyScope,
    fingerprint: string,
    now: number,
    expiredBefore: number,
  ): Promise<IdempotencyRecord | null> {
    const inserted = await insertRows(
      this.db,
      "idempotency_keys",
      [
        {
          user_id: scope.userId,
          endpoint: scope.endpoint,
          key: scope.key,
          fingerprint,
          status: null,
          body: null,
          created_at: now,
        },
      ],
      { ignoreConflictOn: ["user_id", "endpoint", "key"] },
    );
    if (inserted > 0) return null;
    const [row] = await this.rows<Database["idempotency_keys"]>(
      `select * from "idempotency_keys" where "user_id" = ? and "endpoint" = ? and "key" = ?`,
      [scope.userId, scope.endpoint, scope.key],
    );
    if (!row) throw new Error("idempotency record vanished under the transaction");
    if (row.created_at < expiredBefore) {
      // Past its retention the record is as good as absent: the key may be used afresh.
      await this.releaseIdempotencyKey(scope);
      return this.claimIdempotencyKey(scope, fingerprint, now, Number.NEGATIVE_INFINITY);
    }
    const response =
      row.status === null
        ? null
        : {
            status: row.status,
            body: row.body === null ? null : (JSON.parse(row.body) as unknown),
          };
    return { fingerprint: row.fingerprint, response };
  }

  async saveIdempotentResponse(scope: IdempotencyScope, response: StoredResponse): Promise<void> {
    await query(
      this.db,
      `update "idempotency_keys" set "status" = ?, "body" = ? where "user_id" = ? and "endpoint" = ? and "key" = ?`,
      [
        response.status,
        JSON.stringify(response.body ?? null),
        scope.userId,
        scope.endpoint,
        scope.key,
      ],
    );
  }

  async releaseIdempotencyKey(scope: IdempotencyScope): Promise<void> {
    await query(
      this.db,
      `delete from "idempotency_keys" where "user_id" = ? and "endpoint" = ? and "key" = ?`,
      [scope.userId, scope.endpoint, scope.key],
    );
  }

  async savepoint<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
    // Not released afterwards: the enclosing commit (or, in a group commit, the release of the
    // command's own savepoint) releases it, and each release would be one more round trip.
    const name = `command_${++this.savepoints}`;
    const run = (text: string) => query(this.db, text, []);
    await run(`savepoint ${name}`);
    try {
      const result = await fn();
      if (!result.ok) await run(`rollback to savepoint ${name}`);
      return result;
    } catch (error) {
      await run(`rollback to savepoint ${name}`);
      throw error;
    }
  }
}
