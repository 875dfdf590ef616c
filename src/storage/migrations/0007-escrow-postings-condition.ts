/**
 * The first version of migration 0006 gave `postings_escrow` a range condition,
 * `account >= 'escrow:' and account < 'escrow;'`, before the ledger check's condition became a
 * prefix test. A database migrated then keeps that index, which the check's statements no longer
 * match, so the check scans every posting (its results stay correct). This rebuilds the index
 * with the current condition where the stored one differs, and leaves every other database as
 * it is (a rebuild of a large postings table is not free).
 */
import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/** The index as migration 0006 makes it now; the ledger check's condition, word for word. */
const CREATE = sql`create index postings_escrow on postings (account, entry_id) where substr(account, 1, 7) = 'escrow:'`;

/** The stored definition of `postings_escrow`, or undefined when there is no such index. */
async function storedDefinition(
  db: Kysely<unknown>,
  dialect: Dialect,
): Promise<string | undefined> {
  if (dialect === "sqlite") {
    const { rows } = await sql<{ definition: string }>`select sql as definition from sqlite_master
      where type = 'index' and name = 'postings_escrow'`.execute(db);
    return rows[0]?.definition;
  }
  // Found through the search path, as the drop and create below find it.
  const { rows } = await sql<{ definition: string | null }>`select
    pg_get_indexdef(to_regclass('postings_escrow')) as definition`.execute(db);
  return rows[0]?.definition ?? undefined;
}

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const definition = await storedDefinition(db, dialect);
  // Both dialects keep the text of the condition: SQLite as written, PostgreSQL as
  // `substr(account, 1, 7) = 'escrow:'::text`.
  if (definition !== undefined && /substr\(/i.test(definition)) return;
  // Safe to run again if a crash came between statements (SQLite migrates outside a transaction).
  await sql`drop index if exists postings_escrow`.execute(db);
  await CREATE.execute(db);
}
