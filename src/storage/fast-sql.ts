/**
 * Statements of the hot path as SQL text, compiled once. Kysely builds and compiles a query on
 * every call (tens of microseconds each, about twenty per command); the inserts and lookups every
 * command makes are fixed shapes, so their text is made once per shape and kept, and run through
 * the same Kysely connection (same transaction, same driver, same prepared-statement cache).
 *
 * Table and column names come from our own code, never from a request; values are always bound.
 */
import { CompiledQuery, PostgresAdapter, type Kysely, type QueryResult } from "kysely";
import type { Database } from "./schema.js";
import type { Dialect } from "./dialect.js";
import type { DirectRunner } from "./sqlite-driver.js";

/** A row to insert: column name to value (a table interface or a plain object). */
type Row = object;
/** Any Kysely instance, transaction or connection (the table types do not matter here). */
type Runner = Pick<Kysely<Database>, "executeQuery" | "getExecutor">;

const texts = new Map<string, string>();

/**
 * Connections whose statements may skip Kysely's executor: the group commit registers the
 * Kysely instance it hands its commands (bound to the SQLite writer, inside its transaction).
 * Anything else, or the same instance with a plugin added, goes through Kysely.
 */
const directRunners = new WeakMap<object, DirectRunner>();

/**
 * Lets the statements run through `db` go straight to `runner` while it is in a transaction.
 * An instance with plugins is left to Kysely, which applies them.
 */
export function runDirectly(db: Runner, runner: DirectRunner): void {
  if (db.getExecutor().plugins.length === 0) directRunners.set(db, runner);
}

/** `view` (a new instance made from `db`, such as `withTables()`) runs as `db` runs. */
export function runLike(db: Runner, view: Runner): void {
  const runner = directRunners.get(db);
  if (runner) runDirectly(view, runner);
}

function quote(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not an identifier: ${name}`);
  return `"${name}"`;
}

/** `?` placeholders in order; PostgreSQL numbers them ($1, $2, ...). */
function placeholders(text: string, dialect: Dialect): string {
  if (dialect === "sqlite") return text;
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

export function dialectOf(db: Runner): Dialect {
  if (directRunners.has(db)) return "sqlite";
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}

/**
 * Runs a finished statement: straight on the writer when `db` is registered, else through
 * Kysely (with a copy of the parameters, which Kysely freezes).
 */
async function execute<R>(
  db: Runner,
  text: string,
  parameters: readonly unknown[],
): Promise<QueryResult<R>> {
  return (
    directRunners.get(db)?.runInTransaction<R>(text, parameters) ??
    db.executeQuery<R>(CompiledQuery.raw(text, [...parameters]))
  );
}

function cached(key: string, make: () => string): string {
  let text = texts.get(key);
  if (text === undefined) {
    text = make();
    texts.set(key, text);
  }
  return text;
}

export interface InsertOptions {
  /** On a duplicate `id`, overwrite every other column (an upsert of the whole row)... */
  readonly upsert?: boolean;
  /**
   * ...except these, which a row never changes once created. SQLite rewrites the entries of
   * every index on a column that an UPDATE sets, even to the same value: leaving a contract's
   * parties out of its upsert saves two index pages per command.
   */
  readonly fixed?: readonly string[];
  /** On a duplicate of these columns, do nothing. */
  readonly ignoreConflictOn?: readonly string[];
}

export interface Insert {
  readonly table: string;
  readonly rows: readonly Row[];
  readonly options?: InsertOptions;
}

function insertText(insert: Insert, columns: readonly string[]): string {
  const { table, rows, options = {} } = insert;
  const row = `(${marks(columns.length)})`;
  let statement = `insert into ${quote(table)} (${columns.map(quote).join(", ")}) values ${Array(rows.length).fill(row).join(", ")}`;
  if (options.upsert) {
    const set = columns
      .filter((c) => c !== "id" && !options.fixed?.includes(c))
      .map((c) => `${quote(c)} = excluded.${quote(c)}`)
      .join(", ");
    statement += ` on conflict ("id") do update set ${set}`;
  } else if (options.ignoreConflictOn) {
    statement += ` on conflict (${options.ignoreConflictOn.map(quote).join(", ")}) do nothing`;
  }
  return statement;
}

function shapeKey(insert: Insert, columns: readonly string[]): string {
  const { options = {} } = insert;
  return `${insert.table}(${columns.join(",")})x${insert.rows.length}${options.upsert ? `u${options.fixed?.join(",") ?? ""}` : ""}${options.ignoreConflictOn ? `i${options.ignoreConflictOn.join(",")}` : ""}`;
}

function bind(insert: Insert, columns: readonly string[], parameters: unknown[]): void {
  for (const row of insert.rows) {
    for (const column of columns) {
      parameters.push((row as Record<string, unknown>)[column] ?? null);
    }
  }
}

/**
 * `insert into table (columns) values (...), (...)` for rows that all have the same columns
 * (those of the first row). Returns the number of rows written.
 */
export async function insertRows(
  db: Runner,
  table: string,
  rows: readonly Row[],
  options: InsertOptions = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const dialect = dialectOf(db);
  const insert = { table, rows, options };
  const columns = Object.keys(rows[0]!);
  const text = cached(`i|${dialect}|${shapeKey(insert, columns)}`, () =>
    placeholders(insertText(insert, columns), dialect),
  );
  const parameters: unknown[] = [];
  bind(insert, columns, parameters);
  const result = await execute(db, text, parameters);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Several inserts as one: on PostgreSQL a single statement whose inserts are data-modifying
 * `with` clauses (one round trip instead of one each; foreign keys between them are checked at
 * the end of the statement), on SQLite one after the other (no round trips to save).
 */
export async function insertAll(db: Runner, inserts: readonly Insert[]): Promise<void> {
  const present = inserts.filter((i) => i.rows.length > 0);
  if (present.length === 0) return;
  const dialect = dialectOf(db);
  if (dialect === "sqlite" || present.length === 1) {
    for (const i of present) await insertRows(db, i.table, i.rows, i.options);
    return;
  }
  const columns = present.map((i) => Object.keys(i.rows[0]!));
  const key = `w|${present.map((i, n) => shapeKey(i, columns[n]!)).join(";")}`;
  const text = cached(key, () => {
    const parts = present.map((i, n) => insertText(i, columns[n]!));
    const last = parts.pop()!;
    return placeholders(
      `with ${parts.map((p, n) => `w${n} as (${p})`).join(", ")} ${last}`,
      dialect,
    );
  });
  const parameters: unknown[] = [];
  present.forEach((i, n) => bind(i, columns[n]!, parameters));
  await db.executeQuery(CompiledQuery.raw(text, parameters));
}

/** `?, ?, ?` for a list of `n` values (`in (...)`); `n` must be at least 1. */
export function marks(n: number): string {
  if (n < 1) throw new Error("an in-list needs at least one value");
  return Array.from({ length: n }, () => "?").join(", ");
}

/** A fixed statement with `?` placeholders, run with `parameters`. */
export async function query<R>(
  db: Runner,
  text: string,
  parameters: readonly unknown[],
): Promise<{ rows: R[]; changes: number }> {
  const dialect = dialectOf(db);
  // SQLite takes the text as written; only PostgreSQL's is rewritten (and kept).
  const compiled =
    dialect === "sqlite" ? text : cached(`q|${dialect}|${text}`, () => placeholders(text, dialect));
  const result = await execute<R>(db, compiled, parameters);
  return { rows: result.rows, changes: Number(result.numAffectedRows ?? 0) };
}
