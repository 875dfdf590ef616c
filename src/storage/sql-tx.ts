/**
 * The Tx port over Kysely, for one connection inside an open transaction.
 */
import { sql, type Kysely } from "kysely";
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
import { writeOutbox } from "./outbox.js";
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
type UpsertTable =
  "contracts" | "milestones" | "submissions" | "refund_requests" | "disputes" | "due_date_changes";

export class SqlTx implements Tx {
  private savepoints = 0;

  constructor(
    readonly db: Db,
    readonly dialect: Dialect,
  ) {}

  async loadAggregate(contractId: string): Promise<ContractAggregate | undefined> {
    let query = this.db.selectFrom("contracts").selectAll().where("id", "=", contractId);
    // PostgreSQL: lock the contract row; every command on a contract takes this lock first.
    // SQLite: the write transaction already holds the database's single write lock.
    if (this.dialect === "postgres") query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) return undefined;
    const [milestones, open] = await Promise.all([
      this.db
        .selectFrom("milestones")
        .selectAll()
        .where("contract_id", "=", contractId)
        .orderBy("position")
        .execute(),
      this.db
        .selectFrom("refund_requests")
        .selectAll()
        .where("contract_id", "=", contractId)
        .where("status", "in", OPEN_REFUND_STATUSES)
        .executeTakeFirst(),
    ]);
    return {
      contract: contractFromRow(row),
      milestones: milestones.map(milestoneFromRow),
      openRefundRequest: open ? refundRequestFromRow(open) : null,
    };
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

  async findMilestone(id: string) {
    const row = await this.db
      .selectFrom("milestones")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && milestoneFromRow(row);
  }

  async findOpenSubmission(milestoneId: string) {
    const row = await this.db
      .selectFrom("submissions")
      .selectAll()
      .where("milestone_id", "=", milestoneId)
      .where("review_outcome", "is", null)
      .orderBy("id", "desc")
      .executeTakeFirst();
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
    const row = await this.db
      .selectFrom("payment_methods")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("id", "desc")
      .executeTakeFirst();
    return row && paymentMethodFromRow(row);
  }

  async insertPaymentMethod(method: PaymentMethod): Promise<void> {
    await this.db.insertInto("payment_methods").values(paymentMethodToRow(method)).execute();
  }

  async applyPlan(plan: Plan, info: CommitInfo): Promise<void> {
    if (plan.contractChanged) await this.upsert("contracts", [contractToRow(plan.contract)]);
    await this.upsert("milestones", plan.milestones.map(milestoneToRow));
    await this.upsert("submissions", plan.submissions.map(submissionToRow));
    await this.upsert("refund_requests", plan.refundRequests.map(refundRequestToRow));
    await this.upsert("disputes", plan.disputes.map(disputeToRow));
    await this.upsert("due_date_changes", plan.dueDateChanges.map(dueDateChangeToRow));
    if (plan.reminders.length > 0) {
      await this.db
        .insertInto("reminders_sent")
        .values(
          plan.reminders.map((r) => ({
            subject_id: r.id,
            deadline: r.deadline,
            days_before: r.daysBefore,
            contract_id: plan.contract.id,
            sent_at: r.sentAt,
          })),
        )
        .execute();
    }
    await this.postJournalEntry(plan, info);
    if (plan.events.length > 0) {
      const events = plan.events.map(({ actor = plan.actor, ...event }) => ({
        id: info.newEventId(),
        contract_id: plan.contract.id,
        type: event.type,
        actor_kind: actor.kind,
        actor_user_id: actor.kind === "system" ? null : actor.userId,
        created_at: info.now,
        data: JSON.stringify(event.data),
      }));
      await this.db.insertInto("events").values(events).execute();
      // Notifications, emails and webhooks are sent from the outbox after commit.
      await writeOutbox(this.db, events);
    }
  }

  /** R4: one balanced journal entry per plan, unique by its cause. */
  private async postJournalEntry(plan: Plan, info: CommitInfo): Promise<void> {
    if (plan.movements.length === 0) return;
    if (plan.ledgerCause === null) throw new Error("a money movement needs a ledger cause");
    const { contract } = plan;
    const parties = {
      contractId: contract.id,
      clientId: contract.clientId,
      freelancerId: contract.freelancerId,
    };
    const postings: PostingDraft[] = plan.movements.flatMap((m) => postingsFor(parties, m));
    assertBalanced(postings);
    await this.db
      .insertInto("journal_entries")
      .values({
        id: info.journalEntryId,
        contract_id: contract.id,
        cause: plan.ledgerCause,
        currency: contract.currency,
        provider_reference: info.providerReference,
        created_at: info.now,
      })
      .execute();
    await this.db
      .insertInto("postings")
      .values(
        postings.map((p, index) => ({
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
      )
      .execute();
  }

  private async upsert<T extends UpsertTable>(table: T, rows: Database[T][]): Promise<void> {
    if (rows.length === 0) return;
    // Column names are the same for every row of one table; "excluded" is the row being
    // inserted, in both SQLite and PostgreSQL.
    const columns = Object.keys(rows[0]!).filter((c) => c !== "id");
    const set = Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)]));
    await this.db
      .insertInto(table)
      .values(rows as never)
      .onConflict((oc) => oc.column("id").doUpdateSet(set as never))
      .execute();
  }

  async claimIdempotencyKey(
    scope: IdempotencyScope,
    fingerprint: string,
    now: number,
    expiredBefore: number,
  ): Promise<IdempotencyRecord | null> {
    const inserted = await this.db
      .insertInto("idempotency_keys")
      .values({
        user_id: scope.userId,
        endpoint: scope.endpoint,
        key: scope.key,
        fingerprint,
        status: null,
        body: null,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(["user_id", "endpoint", "key"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return null;
    const row = await this.db
      .selectFrom("idempotency_keys")
      .selectAll()
      .where("user_id", "=", scope.userId)
      .where("endpoint", "=", scope.endpoint)
      .where("key", "=", scope.key)
      .executeTakeFirstOrThrow();
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
    await this.db
      .updateTable("idempotency_keys")
      .set({ status: response.status, body: JSON.stringify(response.body ?? null) })
      .where("user_id", "=", scope.userId)
      .where("endpoint", "=", scope.endpoint)
      .where("key", "=", scope.key)
      .execute();
  }

  async releaseIdempotencyKey(scope: IdempotencyScope): Promise<void> {
    await this.db
      .deleteFrom("idempotency_keys")
      .where("user_id", "=", scope.userId)
      .where("endpoint", "=", scope.endpoint)
      .where("key", "=", scope.key)
      .execute();
  }

  async savepoint<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
    const name = sql.raw(`command_${++this.savepoints}`);
    await sql`savepoint ${name}`.execute(this.db);
    try {
      const result = await fn();
      if (!result.ok) await sql`rollback to savepoint ${name}`.execute(this.db);
      await sql`release savepoint ${name}`.execute(this.db);
      return result;
    } catch (error) {
      await sql`rollback to savepoint ${name}`.execute(this.db);
      await sql`release savepoint ${name}`.execute(this.db);
      throw error;
    }
  }
}
