/**
 * The Store port: write transactions on one connection. On SQLite the transaction starts with
 * BEGIN IMMEDIATE, taking the write lock up front so two writers never deadlock on an upgrade,
 * and commands arriving together share one commit (group-commit.ts).
 * On PostgreSQL it is READ COMMITTED with row locks taken by the commands (SELECT ... FOR
 * UPDATE), retried a bounded number of times on deadlock or serialization failure.
 */
import { sql, type Kysely } from "kysely";
import { ConcurrentChangeError } from "../app/errors.js";
import type { Store, Tx, WriteOptions } from "../app/ports.js";
import type { DatabaseHandle } from "./database.js";
import type { Database } from "./schema.js";
import { SqliteGroupCommit } from "./group-commit.js";
import { isStalePlan } from "./pg-prepared.js";
import { SqlTx } from "./sql-tx.js";

const RETRYABLE_PG_CODES = new Set(["40001", "40P01"]);
/** Tries of one PostgreSQL transaction before its error is given up to the caller. */
const MAX_PG_ATTEMPTS = 5;

/** A unique constraint refused the write: PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY. */
function uniqueViolation(error: unknown): string | null {
  const { code, constraint, message } = (error ?? {}) as {
    code?: unknown;
    constraint?: unknown;
    message?: unknown;
  };
  if (code === "23505") return typeof constraint === "string" ? constraint : "unique";
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return typeof message === "string" ? message : "unique";
  }
  return null;
}

/**
 * A PostgreSQL transaction that failed with this may be run again from the start: a
 * serialization failure, a deadlock, or a prepared statement whose plan went stale (pg-prepared.ts).
 */
function isRetryablePgError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === "string" && RETRYABLE_PG_CODES.has(code)) || isStalePlan(error);
}

/**
 * Runs a PostgreSQL transaction (`run` opens and ends it), again from the start while it fails
 * with a retryable error, at most `MAX_PG_ATTEMPTS` times in all.
 */
export async function withPgRetries<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= MAX_PG_ATTEMPTS || !isRetryablePgError(error)) throw error;
    }
  }
}

function mapUnique(error: unknown): unknown {
  const unique = uniqueViolation(error);
  return unique === null ? error : new ConcurrentChangeError(unique);
}

export class SqlStore implements Store {
  /** SQLite: commands arriving together share one durable commit. */
  readonly groupCommit: SqliteGroupCommit | null;

  constructor(readonly handle: DatabaseHandle) {
    this.groupCommit =
      handle.dialect === "sqlite"
        ? new SqliteGroupCommit(handle.db, mapUnique, handle.wal ?? null, handle.direct ?? null)
        : null;
  }

  async write<T>(fn: (tx: Tx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    if (this.groupCommit) return this.groupCommit.write(fn, options);
    // A unique violation is never retried; it reaches the caller as the application's error.
    return withPgRetries(() => this.once(fn)).catch((error: unknown) => {
      throw mapUnique(error);
    });
  }

  /** PostgreSQL: one command in its own transaction (SQLite always goes through the group commit). */
  private once<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.handle.db.connection().execute(async (conn: Kysely<Database>) => {
      await sql`begin`.execute(conn);
      try {
        const result = await fn(new SqlTx(conn, "postgres"));
        await sql`commit`.execute(conn);
        return result;
      } catch (error) {
        await sql`rollback`.execute(conn);
        throw error;
      }
    });
  }

  /** A read-only look at the database, for queries outside commands. */
  get db(): Kysely<Database> {
    return this.handle.db;
  }
}
