/**
 * Staff users are looked up when a dispute opens, to notify the dispute team. A partial index
 * holds only them, so that lookup reads a few rows however many users there are.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists users_staff on users (id) where is_staff = 1`.execute(db);
}
