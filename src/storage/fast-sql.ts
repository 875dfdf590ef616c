/**
 * Statements of the hot path as SQL text, compiled once. Kysely builds and compiles a query on
 * every call (tens of microseconds each, about twenty per command); the inserts and lookups every
 * command makes are fixed shapes, so their text is made once per shape and kept, and run through
 * the same Kysely connection (same transaction, same driver, same prepared-statement cache).
 *
 * Table and column names come from our own code, never from a request; values are always bound.
 */
import { CompiledQuery, PostgresAdapter, type Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { Dialect } from "./dialect.js";

type Row = Readonly<Record<string, unknown>>;
/** Any Kysely instance, transaction or connection (the table types do not matter here). */
type Runner = Pick<Kysely<Database>, "executeQuery" | "getExecutor">;

const texts = new Map<string, string>();

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

function dialectOf(db: Runner): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
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
  /** On a duplicate `id`, overwrite every other column (an upsert of the whole row). */
  readonly upsert?: boolean;
  /** On a duplicate of these columns, do nothing. */
  readonly ignoreConflictOn?: readonly string[];
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
  const columns = Object.keys(rows[0]!);
  const key = `i|${dialect}|${table}|${columns.join(",")}|${rows.length}|${options.upsert ? "u" : ""}|${options.ignoreConflictOn?.join(",") ?? ""}`;
  const text = cached(key, () => {
    const row = `(${columns.map(() => "?").join(", ")})`;
    let statement = `insert into ${quote(table)} (${columns.map(quote).join(", ")}) values ${Array(rows.length).fill(row).join(", ")}`;
    if (options.upsert) {
      const set = columns
        .filter((c) => c !== "id")
        .map((c) => `${quote(c)} = excluded.${quote(c)}`)
        .join(", ");
      statement += ` on conflict ("id") do update set ${set}`;
    } else if (options.ignoreConflictOn) {
      statement += ` on conflict (${options.ignoreConflictOn.map(quote).join(", ")}) do nothing`;
    }
    return placeholders(statement, dialect);
  });
  const parameters: unknown[] = [];
  for (const row of rows) {
    for (const column of columns) parameters.push(row[column] ?? null);
  }
  const result = await db.executeQuery(CompiledQuery.raw(text, parameters));
  return Number(result.numAffectedRows ?? 0);
}

/** A fixed statement with `?` placeholders, run with `parameters`. */
export async function query<R>(
  db: Runner,
  text: string,
  parameters: readonly unknown[],
): Promise<{ rows: R[]; changes: number }> {
  const dialect = dialectOf(db);
  const compiled = cached(`q|${dialect}|${text}`, () => placeholders(text, dialect));
  const result = await db.executeQuery<R>(CompiledQuery.raw(compiled, [...parameters]));
  return { rows: result.rows, changes: Number(result.numAffectedRows ?? 0) };
}
