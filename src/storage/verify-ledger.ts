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

export async function verifyLedger(db: Kysely<Database>): Promise<LedgerViolation[]> {
  const violations: LedgerViolation[] = [];
  const unbalanced = await sql<{ entry_id: string; total: number }>`
    select entry_id, sum(amount) as total from postings group by entry_id, currency having sum(amount) <> 0`.execute(
    db,
  );
  for (const row of unbalanced.rows) {
    violations.push({ kind: "unbalanced_entry", detail: `${row.entry_id} sums to ${row.total}` });
  }
  const escrow = await sql<{
    id: string;
    escrow_balance: number;
    ledger: number | null;
    deposits: number | null;
    outflows: number | null;
  }>`
    select c.id, c.escrow_balance,
      (select sum(p.amount) from postings p where p.account = 'escrow:' || c.id) as ledger,
      (select sum(p.amount) from postings p where p.account = 'escrow:' || c.id and p.amount > 0) as deposits,
      (select -sum(p.amount) from postings p where p.account = 'escrow:' || c.id and p.amount < 0) as outflows
    from contracts c`.execute(db);
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

/** Escrow must never have been negative after any entry, not just at the end. */
async function negativeRunningEscrow(db: Kysely<Database>): Promise<LedgerViolation[]> {
  const rows = await db
    .selectFrom("postings")
    .select(["account", "entry_id", "amount"])
    .where("account_kind", "=", "escrow")
    .orderBy("account")
    .orderBy("entry_id")
    .execute();
  const violations: LedgerViolation[] = [];
  let account = "";
  let balance = 0;
  for (const row of rows) {
    if (row.account !== account) {
      account = row.account;
      balance = 0;
    }
    balance += Number(row.amount);
    if (balance < 0)
      violations.push({ kind: "negative_escrow", detail: `${account} after ${row.entry_id}` });
  }
  return violations;
}
