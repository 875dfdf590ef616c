/**
 * Opening the database: SQLite (embedded, the default) or PostgreSQL, with the settings that
 * make an acknowledged write durable.
 */
import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import type { Dialect } from "./dialect.js";
import type { Database } from "./schema.js";

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  /**
   * For reads outside commands (sessions, access checks, views, lists). SQLite: a second,
   * query-only connection, so a request's reads do not queue behind the writer's group commit
   * (WAL readers see the last commit). PostgreSQL: the same pool.
   */
  readonly readDb: Kysely<Database>;
  readonly dialect: Dialect;
  close(): Promise<void>;
}

export interface SqliteOptions {
  readonly file: string;
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every statement on every execution; the application runs a
 * few hundred distinct statements, so keeping them prepared saves the parse on each query.
 * Statements are only run to completion (`all`/`run`), never left iterating, so reuse is safe.
 */
function withStatementCache(sqlite: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (text: string) => {
      let statement = cache.get(text);
      if (statement === undefined) {
        statement = sqlite.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

function connect(file: string): SQLite.Database {
  const sqlite = new SQLite(file);
  sqlite.pragma("journal_mode = WAL");
  // FULL: a commit is on disk before it is acknowledged, even across power loss.
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // SQLite integers are 64-bit; amounts and times are far below 2^53, so numbers are exact.
  sqlite.defaultSafeIntegers(false);
  return sqlite;
}

export function openSqlite({ file }: SqliteOptions): DatabaseHandle {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(connect(file)) }),
  });
  if (file === ":memory:") return { db, readDb: db, dialect: "sqlite", close: () => db.destroy() };
  const reader = connect(file);
  reader.pragma("query_only = ON");
  const readDb = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(reader) }),
  });
  return {
    db,
    readDb,
    dialect: "sqlite",
    close: async () => {
      await readDb.destroy();
      await db.destroy();
    },
  };
}

let int8ParserInstalled = false;

/** BIGINT columns come back from pg as strings; ours hold safe integers, so read them as numbers. */
function installInt8Parser(): void {
  if (int8ParserInstalled) return;
  pg.types.setTypeParser(20, (value: string) => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed)) throw new Error(`integer ${value} is not safe`);
    return parsed;
  });
  int8ParserInstalled = true;
}

export interface PostgresOptions {
  readonly url: string;
  readonly poolSize: number;
}

export function openPostgres({ url, poolSize }: PostgresOptions): DatabaseHandle {
  installInt8Parser();
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, readDb: db, dialect: "postgres", close: () => db.destroy() };
}
