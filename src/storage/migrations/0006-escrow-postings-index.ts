/**
 * Every posting was indexed by its account, for the ledger check's per-account sums alone: no
 * request reads postings by account (balances are kept on their rows, reports read by owner).
 * Each posting thus wrote one more index page, at a random place, in every command's commit.
 * The check sums escrow accounts only, so only their postings are indexed now, in the order it
 * reads them (account, then entry): a money movement writes one entry here instead of two.
 * The index's condition is the check's own condition, word for word, so that SQLite (which
 * matches the terms) and PostgreSQL both use it. It tests the account's first seven characters,
 * not a range of names: `account >= 'escrow:' and account < 'escrow;'` holds only under a byte
 * order, and on a PostgreSQL database with a language collation (ICU's en-US, say) no escrow
 * account falls in it.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Safe to run again if a crash came between statements (SQLite migrates outside a transaction).
  await sql`create index if not exists postings_escrow on postings (account, entry_id) where substr(account, 1, 7) = 'escrow:'`.execute(
    db,
  );
  await sql`drop index if exists postings_account`.execute(db);
}
