/**
 * Password reset links (docs/DEPLOYMENT.md, "Password reset"): each token is stored only as its
 * SHA-256 hash, expires, and is used once. A reset ends every session of the user, which is
 * found by an index of sessions by user. Throttling counts, now purged once their window has
 * ended, are found by the window's start.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("password_resets")
    .ifNotExists()
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .execute();
  await sql`create index if not exists password_resets_user on password_resets (user_id)`.execute(
    db,
  );
  await sql`create index if not exists sessions_user on sessions (user_id)`.execute(db);
  await sql`create index if not exists rate_limits_window on rate_limits (window_start)`.execute(
    db,
  );
}
