/**
 * The sweep reads due rules oldest first, `(due_at, id)`, 200 at a time. The due indexes held
 * the due time alone, so every read sorted all the rules due at the same instant (after a pause,
 * or when many milestones were submitted together, that is all of them) to return 200: a sweep of
 * N rules sorted N rows N/200 times. With the id in the index the rows come in order and the read
 * stops after 200.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Safe to run again if a crash came between statements (SQLite migrates outside a transaction).
  await sql`drop index if exists milestones_due`.execute(db);
  await sql`create index milestones_due on milestones (auto_approve_at, id) where status = 'submitted'`.execute(
    db,
  );
  await sql`drop index if exists refund_requests_due`.execute(db);
  await sql`create index refund_requests_due on refund_requests (respond_by, id) where status = 'pending'`.execute(
    db,
  );
}
