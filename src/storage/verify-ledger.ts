/**
 * Ledger invariants, checked from the rows (R4): every journal entry balances, no escrow account
 * is negative, each contract's escrow balance equals its escrow account, each milestone's money
 * moved at most once, and escrow = funded - released - refunded per contract.
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

export interface LedgerViolation {
  readonly kind: string;
  readonly detail: string;
}

/**
 * Escrow accounts chosen by name (`escrow:<contract>`), not by the kind column, so a posting
 * whose kind disagrees with its account is still counted; such postings are reported on their
 * own below. A prefix test, not a range of names, which would depend on the database's
 * collation. The condition is the partial index `postings_escrow`'s, word for word (migration
 * 0006): keep the two the same, or the check scans and sorts every posting.
 */
const ESCROW_ACCOUNTS = sql`substr(account, 1, 7) = 'escrow:'`;

export async function verifyLedger(db: Kysely<Database>): Promise<LedgerViolation[]> {
  const violations: LedgerViolation[] = [];
  const mislabelled = await sql<{ id: string; account: string; account_kind: string }>`
    select id, account, account_kind from postings
    where account not like account_kind || ':%'`.execute(db);
  for (const row of mislabelled.rows) {
    violations.push({
      kind: "account_kind_mismatch",
      detail: `${row.id}: kind ${row.account_kind} on account ${row.account}`,
    });
  }
  const unbalanced = await sql<{ entry_id: string; total: number }>`
    select entry_id, sum(amount) as total from postings group by entry_id, currency having sum(amount) <> 0`.execute(
    db,
  );
  for (const row of unbalanced.rows) {
    violations.push({ kind: "unbalanced_entry", detail: `${row.entry_id} sums to ${row.total}` });
  }
  // Each contract's escrow account summed in one pass over the postings (grouped in account
  // order), and only the contracts that disagree come back.
  const escrow = await sql<{
    id: string;
    escrow_balance: number;
    ledger: number | null;
    deposits: number | null;
    outflows: number | null;
  }>`
    select c.id, c.escrow_balance, e.ledger, e.deposits, e.outflows
    from contracts c left join (
      select account, sum(amount) as ledger,
        sum(case when amount > 0 then amount else 0 end) as deposits,
        sum(case when amount < 0 then -amount else 0 end) as outflows
      from postings where ${ESCROW_ACCOUNTS} group by account) e
      on e.account = 'escrow:' || c.id
    where coalesce(e.ledger, 0) < 0
      or coalesce(e.ledger, 0) <> c.escrow_balance
      or coalesce(e.deposits, 0) - coalesce(e.outflows, 0) <> coalesce(e.ledger, 0)`.execute(db);
  for (const row of escrow.rows) {
    const ledger = Number(row.ledger ?? 0);
    if (ledger < 0) violations.push({ kind: "negative_escrow", detail: `${row.id}: ${ledger}` });
    if (ledger !== Number(row.escrow_balance)) {
      violations.push({
        kind: "escrow_mismatch",
        detail: `${row.id}: column ${row.escrow_balance}, ledger ${ledger}`,
      });
    }
    if (Number(row.deposits ?? 0) - Number(row.outflows ?? 0) !== ledger) {
      violations.push({ kind: "escrow_arithmetic", detail: row.id });
    }
  }
  const running = await negativeRunningEscrow(db);
  violations.push(...running);
  const doubled = await sql<{ milestone_id: string; n: number }>`
    select milestone_id, count(distinct entry_id) as n from postings
    where account_kind = 'earnings' and type = 'milestone_payment' and milestone_id is not null
    group by milestone_id having count(distinct entry_id) > 1`.execute(db);
  for (const row of doubled.rows) {
    violations.push({
      kind: "double_release",
      detail: `${row.milestone_id} released ${row.n} times`,
    });
  }
  const releasedAndRefunded = await sql<{ id: string }>`
    select distinct m.id from postings p join milestones m on m.id = p.milestone_id
    where p.type = 'escrow_refund' and m.status = 'paid'`.execute(db);
  for (const row of releasedAndRefunded.rows) {
    violations.push({ kind: "released_and_refunded", detail: row.id });
  }
  return violations;
}

/**
 * Escrow must never have been negative after any entry, not just at the end: a running sum per
 * escrow account in entry order, computed by the database (a ledger of millions of entries is
 * not loaded into memory).
 */
async function negativeRunningEscrow(db: Kysely<Database>): Promise<LedgerViolation[]> {
  const rows = await sql<{ account: string; entry_id: string }>`
    select distinct account, entry_id from (
      select account, entry_id,
        sum(amount) over (partition by account order by entry_id) as running
      from postings where ${ESCROW_ACCOUNTS}) r
    where running < 0
    order by account, entry_id`.execute(db);
  return rows.rows.map((row) => ({
    kind: "negative_escrow",
    detail: `${row.account} after ${row.entry_id}`,
  }));
}
