/**
 * The index that lists an endpoint's deliveries (recipient, id) held every email delivery too,
 * though only webhook deliveries are listed by recipient. An email's recipient is a user, so each
 * notified event wrote two entries at random places in it (one page each). It now holds webhook
 * deliveries only, which is what the listing asks for (`channel = 'webhook'`).
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Safe to run again if a crash came between the two statements (SQLite migrates outside a
  // transaction).
  await sql`drop index if exists deliveries_recipient`.execute(db);
  await sql`create index deliveries_recipient on deliveries (recipient, id) where channel = 'webhook'`.execute(
    db,
  );
}
