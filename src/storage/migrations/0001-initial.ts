import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/** The first schema: people, contracts and milestones, the ledger, events and idempotency. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("is_staff", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .execute();

  await db.schema
    .createTable("payment_methods")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("brand", "text", (c) => c.notNull())
    .addColumn("last4", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("payment_methods_user")
    .on("payment_methods")
    .columns(["user_id", "id"])
    .execute();

  await db.schema
    .createTable("contracts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("client_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("freelancer_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("review_window_days", "integer", (c) => c.notNull())
    .addColumn("refund_window_days", "integer", (c) => c.notNull())
    .addColumn("escrow_balance", "bigint", (c) => c.notNull().check(sql`escrow_balance >= 0`))
    .addColumn("ended_by", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("accepted_at", "bigint")
    .addColumn("ended_at", "bigint")
    .addCheckConstraint("contracts_parties_differ", sql`client_id <> freelancer_id`)
    .execute();
  await db.schema
    .createIndex("contracts_client")
    .on("contracts")
    .columns(["client_id", "id"])
    .execute();
  await db.schema
    .createIndex("contracts_freelancer")
    .on("contracts")
    .columns(["freelancer_id", "id"])
    .execute();

  await db.schema
    .createTable("milestones")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("contract_id", "text", (c) => c.notNull().references("contracts.id"))
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("amount", "bigint", (c) => c.notNull().check(sql`amount between 1 and 10000000000`))
    .addColumn("due_date", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("funded_amount", "bigint", (c) => c.notNull().check(sql`funded_amount >= 0`))
    .addColumn("released_amount", "bigint", (c) => c.notNull().check(sql`released_amount >= 0`))
    .addColumn("submitted_at", "bigint")
    .addColumn("auto_approve_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("milestones_position", ["contract_id", "position"])
    .execute();
  // The sweep's index: due auto-approvals, oldest first (R14, R23).
  await sql`create index milestones_due on milestones (auto_approve_at) where status = 'submitted'`.execute(
    db,
  );

  await db.schema
    .createTable("submissions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("milestone_id", "text", (c) => c.notNull().references("milestones.id"))
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("links", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("review_outcome", "text")
    .addColumn("review_message", "text")
    .addColumn("reviewed_at", "bigint")
    .execute();
  await db.schema
    .createIndex("submissions_milestone")
    .on("submissions")
    .columns(["milestone_id", "id"])
    .execute();

  await db.schema
    .createTable("refund_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("contract_id", "text", (c) => c.notNull().references("contracts.id"))
    .addColumn("amount", "bigint", (c) => c.notNull().check(sql`amount > 0`))
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("respond_by", "bigint", (c) => c.notNull())
    .addColumn("dispute_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("answered_at", "bigint")
    .execute();
  // At most one open refund request per contract (R17), even if code were wrong.
  await sql`create unique index refund_requests_open on refund_requests (contract_id) where status in ('pending', 'disputed')`.execute(
    db,
  );
  await sql`create index refund_requests_due on refund_requests (respond_by) where status = 'pending'`.execute(
    db,
  );
  await db.schema
    .createIndex("refund_requests_contract")
    .on("refund_requests")
    .columns(["contract_id", "id"])
    .execute();

  await db.schema
    .createTable("disputes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("refund_request_id", "text", (c) =>
      c.notNull().unique().references("refund_requests.id"),
    )
    .addColumn("contract_id", "text", (c) => c.notNull().references("contracts.id"))
    .addColumn("amount", "bigint", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("refund_amount", "bigint")
    .addColumn("release_amount", "bigint")
    .addColumn("resolution_reason", "text")
    .addColumn("resolved_by", "text")
    .addColumn("resolved_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addCheckConstraint(
      "disputes_split_adds_up",
      sql`status <> 'resolved' or refund_amount + release_amount = amount`,
    )
    .execute();
  await db.schema.createIndex("disputes_status").on("disputes").columns(["status", "id"]).execute();

  await db.schema
    .createTable("due_date_changes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("milestone_id", "text", (c) => c.notNull().references("milestones.id"))
    .addColumn("contract_id", "text", (c) => c.notNull().references("contracts.id"))
    .addColumn("due_date", "text", (c) => c.notNull())
    .addColumn("proposed_by", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("answered_at", "bigint")
    .execute();
  await sql`create unique index due_date_changes_pending on due_date_changes (milestone_id) where status = 'pending'`.execute(
    db,
  );

  await db.schema
    .createTable("journal_entries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("contract_id", "text", (c) => c.notNull().references("contracts.id"))
    .addColumn("cause", "text", (c) => c.notNull().unique())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("provider_reference", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("postings")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("entry_id", "text", (c) => c.notNull().references("journal_entries.id"))
    .addColumn("account", "text", (c) => c.notNull())
    .addColumn("account_kind", "text", (c) => c.notNull())
    .addColumn("owner_user_id", "text")
    .addColumn("contract_id", "text", (c) => c.notNull())
    .addColumn("milestone_id", "text")
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("amount", "bigint", (c) => c.notNull().check(sql`amount <> 0`))
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("postings_owner")
    .on("postings")
    .columns(["owner_user_id", "id"])
    .execute();
  await db.schema
    .createIndex("postings_account")
    .on("postings")
    .columns(["account", "currency"])
    .execute();
  await db.schema.createIndex("postings_entry").on("postings").column("entry_id").execute();

  await db.schema
    .createTable("events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("contract_id", "text", (c) => c.notNull().references("contracts.id"))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("actor_kind", "text", (c) => c.notNull())
    .addColumn("actor_user_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("events_contract")
    .on("events")
    .columns(["contract_id", "id"])
    .execute();

  await db.schema
    .createTable("idempotency_keys")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("endpoint", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("status", "integer")
    .addColumn("body", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("idempotency_keys_pk", ["user_id", "endpoint", "key"])
    .execute();
  await db.schema
    .createIndex("idempotency_keys_age")
    .on("idempotency_keys")
    .column("created_at")
    .execute();

  // Each reminder is sent once per subject, deadline and offset (R14, R18).
  await db.schema
    .createTable("reminders_sent")
    .addColumn("subject_id", "text", (c) => c.notNull())
    .addColumn("deadline", "bigint", (c) => c.notNull())
    .addColumn("days_before", "integer", (c) => c.notNull())
    .addColumn("contract_id", "text", (c) => c.notNull().references("contracts.id"))
    .addColumn("sent_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("reminders_sent_pk", ["subject_id", "deadline", "days_before"])
    .execute();

  // Fixed-window counters for login throttling, shared by every server on the database.
  await db.schema
    .createTable("rate_limits")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("window_start", "bigint", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("test_clock")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("now", "bigint", (c) => c.notNull())
    .execute();

  await forbidLedgerEdits(db, dialect);
}

/** R4: ledger rows are never updated or deleted; the database refuses it. */
async function forbidLedgerEdits(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  for (const table of ["journal_entries", "postings"]) {
    if (dialect === "sqlite") {
      for (const op of ["update", "delete"]) {
        await sql
          .raw(
            `create trigger ${table}_no_${op} before ${op} on ${table} ` +
              `begin select raise(abort, 'ledger rows are append-only'); end`,
          )
          .execute(db);
      }
    } else {
      await sql
        .raw(
          `create or replace function ledger_append_only() returns trigger language plpgsql as ` +
            `$$ begin raise exception 'ledger rows are append-only'; end $$`,
        )
        .execute(db);
      await sql
        .raw(
          `create trigger ${table}_append_only before update or delete on ${table} ` +
            `for each row execute function ledger_append_only()`,
        )
        .execute(db);
    }
  }
}
