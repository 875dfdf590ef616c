/**
 * The transactions report (R21): movements of the viewer's own money, newest first. A row is a
 * posting on one of the viewer's accounts (their payment source or their earnings), so the
 * amount is already the change to the viewer's money, signed from their side.
 */
import type { Kysely } from "kysely";
import type { TransactionType } from "../domain/ledger.js";
import { iso, page } from "./read-model.js";
import { keysetPage, type PageRequest } from "./lists.js";
import type { Database } from "./schema.js";

export interface TransactionFilter {
  readonly contractId?: string | undefined;
  readonly type?: TransactionType | undefined;
  /** Inclusive bounds, epoch milliseconds. */
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

const LABELS: Record<TransactionType, string> = {
  escrow_deposit: "Escrow deposit",
  milestone_payment: "Milestone payment",
  extra_payment: "Extra payment",
  escrow_refund: "Escrow refund",
  dispute_release: "Dispute outcome: release",
  dispute_refund: "Dispute outcome: refund",
};

export interface TransactionRow {
  id: string;
  createdAt: string;
  type: string;
  description: string;
  contractId: string;
  milestoneId: string | null;
  amount: number;
  currency: string;
  status: "completed";
}

export const CSV_COLUMNS: readonly (keyof TransactionRow)[] = [
  "id",
  "createdAt",
  "type",
  "description",
  "contractId",
  "milestoneId",
  "amount",
  "currency",
  "status",
];

export class ReportQueries {
  constructor(private readonly db: Kysely<Database>) {}

  /** The viewer's postings matching the filter, without the joins the rows' text needs. */
  private matching(userId: string, filter: TransactionFilter) {
    let query = this.db.selectFrom("postings as p").where("p.owner_user_id", "=", userId);
    if (filter.contractId !== undefined)
      query = query.where("p.contract_id", "=", filter.contractId);
    if (filter.type !== undefined) query = query.where("p.type", "=", filter.type);
    if (filter.from !== undefined) query = query.where("p.created_at", ">=", filter.from);
    if (filter.to !== undefined) query = query.where("p.created_at", "<=", filter.to);
    return query;
  }

  private base(userId: string, filter: TransactionFilter) {
    return this.matching(userId, filter)
      .innerJoin("contracts as c", "c.id", "p.contract_id")
      .leftJoin("milestones as m", "m.id", "p.milestone_id")
      .select([
        "p.id",
        "p.created_at",
        "p.type",
        "p.contract_id",
        "p.milestone_id",
        "p.amount",
        "p.currency",
        "c.title as contract_title",
        "m.position as milestone_position",
        "m.title as milestone_title",
      ]);
  }

  private toRow(r: {
    id: string;
    created_at: number;
    type: string;
    contract_id: string;
    milestone_id: string | null;
    amount: number;
    currency: string;
    contract_title: string;
    milestone_position: number | null;
    milestone_title: string | null;
  }): TransactionRow {
    const label = LABELS[r.type as TransactionType] ?? r.type;
    const milestone =
      r.milestone_title === null ? "" : `, milestone ${r.milestone_position}: ${r.milestone_title}`;
    return {
      id: r.id,
      createdAt: iso(r.created_at),
      type: r.type,
      description: `${label}: ${r.contract_title}${milestone}`,
      contractId: r.contract_id,
      milestoneId: r.milestone_id,
      amount: Number(r.amount),
      currency: r.currency,
      status: "completed",
    };
  }

  async list(userId: string, filter: TransactionFilter, paging: PageRequest) {
    const rows = await keysetPage(this.base(userId, filter), "p.id", paging);
    return page(
      rows.map((r) => this.toRow(r)),
      paging.limit,
    );
  }

  /** Net change per currency over every matching row, not only this page. */
  async totals(userId: string, filter: TransactionFilter) {
    const rows = await this.matching(userId, filter)
      .select((eb) => [
        "p.currency",
        eb.fn.sum<number>("p.amount").as("net"),
        eb.fn.countAll<number>().as("count"),
      ])
      .groupBy("p.currency")
      .execute();
    return rows.map((r) => ({ currency: r.currency, net: Number(r.net), count: Number(r.count) }));
  }

  /** Every matching row, newest first, in keyset pages (one array per page) so memory stays flat. */
  async *all(
    userId: string,
    filter: TransactionFilter,
    batch = 2000,
  ): AsyncGenerator<TransactionRow[]> {
    let after: string | undefined;
    for (;;) {
      let query = this.base(userId, filter);
      if (after !== undefined) query = query.where("p.id", "<", after);
      const rows = await query.orderBy("p.id", "desc").limit(batch).execute();
      yield rows.map((row) => this.toRow(row));
      if (rows.length < batch) return;
      after = rows[rows.length - 1]!.id;
    }
  }
}

/** One CSV field, RFC 4180: quoted when it holds a comma, quote or line break. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "string" ? value : JSON.stringify(value);
  // A text cell that a spreadsheet would run as a formula is prefixed, so it is shown, not run.
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

/**
 * A report row as a CSV line, in CSV_COLUMNS order. Only the description holds text people
 * typed (titles); every other field is an id, a time, a fixed word or a number made here, which
 * never needs quoting and never starts like a formula, so it is written as is (an export is
 * hundreds of thousands of these lines).
 */
export function csvRow(row: TransactionRow): string {
  return `${row.id},${row.createdAt},${row.type},${csvField(row.description)},${row.contractId},${row.milestoneId ?? ""},${row.amount},${row.currency},${row.status}\r\n`;
}

/** CSV lines per chunk of an export. */
export const CSV_CHUNK_ROWS = 500;

/**
 * An export as text chunks: the header, then the rows `CSV_CHUNK_ROWS` lines at a time. Far
 * fewer stream writes than a line each, and every chunk (about 60 KB) stays small enough to be
 * short-lived garbage: a chunk per 2,000-row page is a large object, freed only by a full
 * collection, and the server's memory then grew with the length of the export.
 */
export async function* csvChunks(
  pages: AsyncIterable<TransactionRow[]>,
  chunkRows = CSV_CHUNK_ROWS,
): AsyncGenerator<string> {
  yield csvLine(CSV_COLUMNS);
  for await (const rows of pages) {
    for (let i = 0; i < rows.length; i += chunkRows)
      yield rows
        .slice(i, i + chunkRows)
        .map(csvRow)
        .join("");
  }
}
