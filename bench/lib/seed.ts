/**
 * Seeding. A few template contracts are made through the real application (HTTP routes, use
 * cases, ledger), then cloned in bulk: every row of the template (contract, milestones,
 * submissions, journal entries, postings, events) is copied with each id rewritten, so clones
 * are byte-for-byte the rows the application writes, only with new ids and parties.
 * verify-ledger is run on the result by the caller.
 */
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import type { RunningApp } from "../../src/main.js";
import type { Database } from "../../src/storage/schema.js";
import { call, must } from "./app.js";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const ID_PATTERN = /[a-z]{2,6}_[0-9A-HJKMNP-TV-Z]{26}/g;

function base32(n: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 32]! + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** An id around the six characters a copy replaces: prefix and ULID time, then the rest. */
function aroundCopyPart(id: string): [string, string] {
  const cut = id.indexOf("_") + 1;
  return [id.slice(0, cut + 10), id.slice(cut + 16)];
}

/** The id of `id`'s copy number `k`: same prefix and time (so ordering holds), new random part. */
export function derive(id: string, k: number): string {
  const [head, tail] = aroundCopyPart(id);
  return `${head}${base32(k, 6)}${tail}`;
}

export interface Party {
  readonly id: string;
  readonly email: string;
  readonly token: string;
}
export interface Pair {
  readonly client: Party;
  readonly freelancer: Party;
}

export async function signUpPairs(app: RunningApp, count: number, tag: string): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const make = async (role: string): Promise<Party> => {
      const email = `${role}${i}-${tag}@bench.example`;
      const body = (await must(
        call(app, "POST", "/v1/auth/signup", undefined, {
          email,
          password: "a long bench password",
          name: `${role} ${i}`,
        }),
        201,
        "signup",
      )) as { user: { id: string }; token: string };
      return { id: body.user.id, email, token: body.token };
    };
    const client = await make("client");
    const freelancer = await make("freelancer");
    await must(
      call(app, "POST", "/v1/payment-methods", client.token, { token: "tok_visa" }),
      201,
      "payment method",
    );
    pairs.push({ client, freelancer });
  }
  return pairs;
}

export type TemplateKind = "active" | "active_m1_paid" | "submitted" | "all_paid";

export interface Template {
  readonly kind: TemplateKind;
  readonly contractId: string;
  /** Milestone ids by position (1-based order). */
  readonly milestones: readonly string[];
}

/** Makes one template contract through the real routes. */
export async function makeTemplate(app: RunningApp, pair: Pair, kind: TemplateKind) {
  const contract = (await must(
    call(app, "POST", "/v1/contracts", pair.client.token, {
      freelancerEmail: pair.freelancer.email,
      title: `Bench contract (${kind})`,
      description: "Fixed-price work, four milestones",
      currency: "USD",
      milestones: [1, 2, 3, 4].map((n) => ({ title: `Milestone ${n}`, amount: 10_000 * n })),
    }),
    201,
    "offer",
  )) as { id: string; milestones: { id: string }[] };
  const ms = contract.milestones.map((m) => m.id);
  await must(
    call(app, "POST", `/v1/contracts/${contract.id}/accept`, pair.freelancer.token),
    200,
    "accept",
  );
  const approve = (id: string) =>
    must(call(app, "POST", `/v1/milestones/${id}/approve`, pair.client.token, {}), 200, "approve");
  const fund = (id: string) =>
    must(call(app, "POST", `/v1/milestones/${id}/fund`, pair.client.token), 200, "fund");
  if (kind === "submitted") {
    await must(
      call(app, "POST", `/v1/milestones/${ms[0]}/submit`, pair.freelancer.token, {
        message: "work delivered",
      }),
      200,
      "submit",
    );
  }
  if (kind === "active_m1_paid" || kind === "all_paid") await approve(ms[0]!);
  if (kind === "all_paid") {
    for (const id of ms.slice(1)) {
      await fund(id);
      await approve(id);
    }
  }
  return { kind, contractId: contract.id, milestones: ms } satisfies Template;
}

const TABLES = [
  "contracts",
  "milestones",
  "submissions",
  "journal_entries",
  "postings",
  "events",
] as const;
type Table = (typeof TABLES)[number];
type Row = Record<string, unknown>;

async function templateRows(db: Kysely<Database>, t: Template): Promise<Record<Table, Row[]>> {
  const contracts = await db
    .selectFrom("contracts")
    .selectAll()
    .where("id", "=", t.contractId)
    .execute();
  const milestones = await db
    .selectFrom("milestones")
    .selectAll()
    .where("contract_id", "=", t.contractId)
    .execute();
  const submissions = await db
    .selectFrom("submissions")
    .selectAll()
    .where("milestone_id", "in", [...t.milestones])
    .execute();
  const byContract = (table: "journal_entries" | "postings" | "events") =>
    db.selectFrom(table).selectAll().where("contract_id", "=", t.contractId).execute();
  return {
    contracts,
    milestones,
    submissions,
    journal_entries: await byContract("journal_entries"),
    postings: await byContract("postings"),
    events: await byContract("events"),
  };
}

export interface CloneSet {
  readonly template: Template;
  readonly count: number;
  /** The pair whose users the template belongs to, and the pairs clones are spread over. */
  readonly templatePair: Pair;
  readonly pairs: readonly Pair[];
}

export function pairOf(set: CloneSet, k: number): Pair {
  return set.pairs[k % set.pairs.length]!;
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const column = (name: string) => `"${name}"`;

/**
 * The SQL expression of a template value in copy `c` (a row of bench_copies: k, s = the random
 * part of copy k, and its pair's users): a literal, with every id in it rewritten as `derive`
 * does and the template's users replaced by the copy's pair. Only concatenation: the database
 * evaluates nothing else per copied row.
 */
function copyValue(value: unknown, users: ReadonlyMap<string, string>): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value !== "string") throw new Error(`cannot copy ${typeof value} values`);
  const text = value;
  const parts: string[] = [];
  let at = 0;
  for (const match of text.matchAll(ID_PATTERN)) {
    const id = match[0];
    if (match.index > at) parts.push(quote(text.slice(at, match.index)));
    const user = users.get(id);
    if (user) parts.push(user);
    else {
      const [head, tail] = aroundCopyPart(id);
      parts.push(quote(head), "c.s", quote(tail));
    }
    at = match.index + id.length;
  }
  if (at < text.length || parts.length === 0) parts.push(quote(text.slice(at)));
  return parts.join(" || ");
}

/**
 * Inserts `set.count` copies of the template, one INSERT ... SELECT per template row (the
 * database does the copying; the same SQL on SQLite and PostgreSQL); returns the template's own
 * ids (not users).
 */
export async function cloneTemplate(db: Kysely<Database>, set: CloneSet) {
  const rows = await templateRows(db, set.template);
  const users = new Map([
    [set.templatePair.client.id, "c.client_id"],
    [set.templatePair.freelancer.id, "c.freelancer_id"],
  ]);
  const ids = new Set<string>();
  for (const table of TABLES) {
    for (const row of rows[table]) {
      for (const v of Object.values(row)) {
        if (typeof v === "string") for (const m of v.match(ID_PATTERN) ?? []) ids.add(m);
      }
    }
  }
  for (const u of users.keys()) ids.delete(u);
  await sql`drop table if exists bench_copies`.execute(db);
  await sql`create table bench_copies (k integer primary key, s text not null, client_id text not null, freelancer_id text not null)`.execute(
    db,
  );
  const chunk = 5_000;
  for (let from = 0; from < set.count; from += chunk) {
    const values = [];
    for (let k = from; k < Math.min(set.count, from + chunk); k++) {
      const pair = pairOf(set, k);
      values.push(sql`(${k}, ${base32(k, 6)}, ${pair.client.id}, ${pair.freelancer.id})`);
    }
    await sql`insert into bench_copies (k, s, client_id, freelancer_id) values ${sql.join(values)}`.execute(
      db,
    );
  }
  // One statement per template row: each row's copies are inserted in id order.
  for (const table of TABLES) {
    for (const row of rows[table]) {
      const names = Object.keys(row);
      await sql
        .raw(
          `insert into ${column(table)} (${names.map(column).join(", ")}) select ${names.map((name) => copyValue(row[name], users)).join(", ")} from bench_copies c order by c.k`,
        )
        .execute(db);
    }
  }
  await sql`drop table bench_copies`.execute(db);
  return [...ids];
}

/**
 * Runs `fill` in one transaction on a closed SQLite database file, on a connection made for
 * bulk loading: no WAL (pages appended to the file are not journaled, so copies are written
 * once), no syncs and no foreign-key lookups (a failed seed is thrown away; copies are inserted
 * parents first and the ledger checks run on the result), and the cloned tables' indexes
 * dropped first and built again after, which sorts once instead of inserting row by row. The
 * file is left in WAL mode, as the server expects it.
 */
export async function bulkLoadSqlite<T>(
  file: string,
  fill: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const raw = new SQLite(file);
  if (raw.pragma("journal_mode = delete", { simple: true }) !== "delete")
    throw new Error(`${file} is open elsewhere: cannot bulk-load it`);
  raw.pragma("synchronous = off");
  raw.pragma("foreign_keys = off");
  raw.pragma("cache_size = -262144");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  try {
    const indexes = raw
      .prepare(
        `select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${TABLES.map(() => "?").join(", ")})`,
      )
      .all(...TABLES) as { name: string; sql: string }[];
    for (const index of indexes) raw.exec(`drop index "${index.name}"`);
    try {
      return await db.transaction().execute(fill);
    } finally {
      for (const index of indexes) raw.exec(index.sql);
      raw.pragma("journal_mode = wal");
    }
  } finally {
    await db.destroy();
  }
}
