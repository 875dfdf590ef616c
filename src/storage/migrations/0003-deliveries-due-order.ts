/**
 * The dispatcher claims due deliveries in (next_attempt_at, id) order. The first index held
 * next_attempt_at only, so every claim sorted all deliveries due at the same instant by id: with
 * many deliveries created at once (a large sweep) that was a sort of all of them per claim. The
 * index now holds the whole order, and a claim reads just the rows it takes.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Safe to run again if a crash came between the two statements (SQLite migrates outside a
  // transaction).
  await sql`drop index if exists deliveries_due`.execute(db);
  await sql`create index deliveries_due on deliveries (next_attempt_at, id) where status = 'pending'`.execute(
    db,
  );
}
