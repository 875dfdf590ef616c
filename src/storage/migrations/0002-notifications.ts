import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Notifications: the outbox (one row per event, written by applyPlan in the event's own
 * transaction), in-app notifications, webhook endpoints, and the deliveries (emails and webhook
 * calls) the dispatcher sends and retries. See docs/NOTIFICATIONS.md.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  // Events not yet fanned out to notifications and deliveries; a row is deleted in the same
  // transaction that writes what it fans out to.
  await db.schema
    .createTable("outbox")
    .addColumn("event_id", "text", (c) => c.primaryKey().references("events.id"))
    .addColumn("contract_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("notifications")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("event_id", "text", (c) => c.notNull().references("events.id"))
    .addColumn("contract_id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("read_at", "bigint")
    .addUniqueConstraint("notifications_once", ["event_id", "user_id"])
    .execute();
  await db.schema
    .createIndex("notifications_user")
    .on("notifications")
    .columns(["user_id", "id"])
    .execute();
  await sql`create index notifications_unread on notifications (user_id, id) where read_at is null`.execute(
    db,
  );

  await db.schema
    .createTable("webhook_endpoints")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("url", "text", (c) => c.notNull())
    // JSON array of event types, or null for every type.
    .addColumn("events", "text")
    .addColumn("secret", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("deleted_at", "bigint")
    .execute();
  await db.schema
    .createIndex("webhook_endpoints_user")
    .on("webhook_endpoints")
    .columns(["user_id", "id"])
    .execute();

  // One row per email or webhook call to make; the delivery log of an endpoint.
  await db.schema
    .createTable("deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("channel", "text", (c) => c.notNull()) // email | webhook
    .addColumn("event_id", "text", (c) => c.notNull().references("events.id"))
    .addColumn("event_type", "text", (c) => c.notNull())
    // The recipient: a user for an email, an endpoint for a webhook call.
    .addColumn("recipient", "text", (c) => c.notNull())
    // email: JSON {to, subject, text, html}; webhook: the exact body that is signed and sent.
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull()) // pending | delivered | failed | cancelled
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("lease_until", "bigint")
    .addColumn("lease_token", "text")
    .addColumn("last_status_code", "integer")
    .addColumn("last_error", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_attempt_at", "bigint")
    .addColumn("delivered_at", "bigint")
    .addUniqueConstraint("deliveries_once", ["event_id", "channel", "recipient"])
    .execute();
  await sql`create index deliveries_due on deliveries (next_attempt_at) where status = 'pending'`.execute(
    db,
  );
  await db.schema
    .createIndex("deliveries_recipient")
    .on("deliveries")
    .columns(["recipient", "id"])
    .execute();
}
