/**
 * Captures the exact SQL statements (text and parameters) one request runs, by wrapping the
 * drivers' statement methods while the in-process application answers that request; then
 * replays them against other seeded copies, with the ids rewritten, as the "raw" baselines.
 */
import SQLite from "better-sqlite3";
import pg from "pg";
import { derive, ID_PATTERN, pairOf, type CloneSet } from "./seed.js";

export interface Statement {
  readonly sql: string;
  readonly method: "run" | "all" | "get" | "iterate" | "query";
  readonly params: readonly unknown[];
}

type Method = "run" | "all" | "get" | "iterate";

/** Records every better-sqlite3 statement executed while `fn` runs (this process only). */
export async function captureSqlite<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; log: Statement[] }> {
  const probe = new SQLite(":memory:");
  const proto = Object.getPrototypeOf(probe.prepare("select 1")) as Record<
    Method,
    (...args: unknown[]) => unknown
  >;
  probe.close();
  const log: Statement[] = [];
  const originals = new Map<Method, (...args: unknown[]) => unknown>();
  for (const method of ["run", "all", "get", "iterate"] as const) {
    const original = proto[method];
    originals.set(method, original);
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      log.push({ sql: this.source, method, params: args });
      return original.apply(this, args);
    };
  }
  try {
    const value = await fn();
    return { value, log };
  } finally {
    for (const [method, original] of originals) proto[method] = original;
  }
}

/** Records every pg query text and values executed while `fn` runs. */
export async function capturePg<T>(fn: () => Promise<T>): Promise<{ value: T; log: Statement[] }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const log: Statement[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    // Text and values, or a named statement's { name, text, values } (pg-prepared.ts).
    const [first, second] = args;
    const named =
      typeof first === "object" ? (first as { text?: unknown; values?: unknown }) : null;
    const text = typeof first === "string" ? first : named?.text;
    const values = typeof first === "string" ? second : named?.values;
    if (typeof text === "string") {
      log.push({
        sql: text,
        method: "query",
        params: Array.isArray(values) ? (values as unknown[]) : [],
      });
    }
    return original.apply(this, args);
  };
  try {
    const value = await fn();
    return { value, log };
  } finally {
    proto.query = original;
  }
}

const TOKEN = new RegExp(`${ID_PATTERN.source}|bk-[0-9a-z-]+`, "g");
let fresh = 0;

/**
 * A captured request on copy `k0` of a clone set, replayable on copy `k`: ids of the copy map to
 * the target copy's ids; ids the request generated (entries, events, keys) get fresh suffixes.
 */
export class Replayable {
  constructor(
    readonly statements: readonly Statement[],
    private readonly set: CloneSet,
    private readonly templateIds: readonly string[],
    private readonly k0: number,
  ) {}

  forCopy(k: number): Statement[] {
    const map = new Map<string, string>();
    for (const id of this.templateIds) map.set(derive(id, this.k0), derive(id, k));
    const p0 = pairOf(this.set, this.k0);
    const pk = pairOf(this.set, k);
    map.set(p0.client.id, pk.client.id);
    map.set(p0.freelancer.id, pk.freelancer.id);
    const suffix = `x${(++fresh).toString(36)}`;
    const swap = (text: string) => text.replace(TOKEN, (t) => map.get(t) ?? `${t}${suffix}`);
    const value = (v: unknown): unknown => (typeof v === "string" ? swap(v) : v);
    return this.statements.map((s) => ({
      sql: s.sql,
      method: s.method,
      params: s.params.map((p) => (Array.isArray(p) ? p.map(value) : value(p))),
    }));
  }
}

export function isTxControl(sql: string): boolean {
  return /^\s*(begin|commit)\b/i.test(sql);
}

/** Runs statements on a better-sqlite3 connection, preparing each text once. */
export class SqliteReplayer {
  private readonly cache = new Map<string, SQLite.Statement>();
  constructor(readonly db: SQLite.Database) {}

  run(statements: readonly Statement[], skipTxControl: boolean): void {
    for (const s of statements) {
      if (skipTxControl && isTxControl(s.sql)) continue;
      let stmt = this.cache.get(s.sql);
      if (!stmt) {
        stmt = this.db.prepare(s.sql);
        this.cache.set(s.sql, stmt);
      }
      const args = s.params as unknown[];
      switch (s.method) {
        case "iterate":
          for (const row of stmt.iterate(...args)) void row;
          break;
        case "all":
          stmt.all(...args);
          break;
        case "get":
          stmt.get(...args);
          break;
        case "run":
        case "query":
          stmt.run(...args);
      }
    }
  }
}

/**
 * The raw baseline's connection: full durability (every commit synced by SQLite itself), with
 * the service writer's page cache and in-memory savepoint journals, so the baseline is not slowed
 * by settings the service does not have.
 */
export function openRawSqlite(file: string): SQLite.Database {
  const db = new SQLite(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.pragma("cache_size = -65536");
  db.pragma("temp_store = MEMORY");
  return db;
}
