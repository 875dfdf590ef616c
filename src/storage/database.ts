/**
 * Opening the database: SQLite (embedded, the default) or PostgreSQL, with the settings that
 * make an acknowledged write durable.
 */
import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Dialect } from "./dialect.js";
import { preparingPool } from "./pg-prepared.js";
import type { Database } from "./schema.js";
import { SqliteCheckpointer, sqliteDialect, WalSync, type DirectRunner } from "./sqlite-driver.js";

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  /**
   * For reads outside commands (sessions, access checks, views, lists). SQLite: a second,
   * query-only connection, so a request's reads do not queue behind the writer's group commit
   * (WAL readers see the last commit). PostgreSQL: the same pool.
   */
  readonly readDb: Kysely<Database>;
  readonly dialect: Dialect;
  /** SQLite on a file: the WAL, synced after every commit (see sqlite-driver.ts). */
  readonly wal?: WalSync;
  /** SQLite: the writer connection (`db`'s), for the group commit's statements (fast-sql.ts). */
  readonly direct?: DirectRunner;
  close(): Promise<void>;
}

export interface SqliteOptions {
  readonly file: string;
  /** Replaces the WAL's fdatasync (tests hold a sync back to see who waits for it). */
  readonly fdatasync?: (fd: number) => Promise<void>;
  /** Replaces the blocking fdatasync of small batches (without it, a replaced `fdatasync` serves all). */
  readonly fdatasyncNow?: (fd: number) => void;
  /** The checkpoint worker's pace and WAL restart size (tests make both small). */
  readonly checkpoints?: { readonly intervalMs: number; readonly restartBytes: number };
}

function connect(file: string): SQLite.Database {
  const sqlite = new SQLite(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // No journal_size_limit: the WAL file keeps the size it reached and is written over from the
  // top when it starts over (SQLITE_CHECKPOINT_RESTART, sqlite-driver.ts). A limit makes the
  // first commit after each restart truncate the file, and freeing blocks in the commit path
  // (a journaled file-system operation, with discard on some mounts) stalled that commit by
  // 50-80 ms under load; the file stays near the restart size (64 MiB) anyway.
  // SQLite integers are 64-bit; amounts and times are far below 2^53, so numbers are exact.
  sqlite.defaultSafeIntegers(false);
  return sqlite;
}

export function openSqlite({
  file,
  fdatasync,
  fdatasyncNow,
  checkpoints,
}: SqliteOptions): DatabaseHandle {
  if (file === ":memory:") {
    const dialect = sqliteDialect(connect(file), null);
    const db = new Kysely<Database>({ dialect });
    return {
      db,
      readDb: db,
      dialect: "sqlite",
      direct: dialect.direct,
      close: () => db.destroy(),
    };
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const writer = connect(file);
  // Durability of each commit comes from WalSync (sqlite-driver.ts), which syncs the WAL off the
  // event loop before the committing statement returns; checkpoints run on a worker thread.
  writer.pragma("synchronous = NORMAL");
  writer.pragma("wal_autocheckpoint = 0");
  // A locked database is waited for off the event loop by the driver (sqliteDialect).
  writer.pragma("busy_timeout = 0");
  // The default page cache (2 MiB) is far below a busy ledger's hot index pages, and each miss
  // is a read from the OS: the writer keeps up to 64 MiB (allocated as used).
  writer.pragma("cache_size = -65536");
  // Each command runs in a savepoint, whose journal keeps the pages it changes; past 64 KiB (a
  // lifecycle command with its ledger rows, events and fan-out passes that) SQLite moves it to a
  // temporary file and writes every further page with a system call. In memory it is dropped
  // at each command's release, so it holds one command's pages at most.
  writer.pragma("temp_store = MEMORY");
  // A first read creates the WAL file, which WalSync then opens.
  writer.prepare("select count(*) from sqlite_master").get();
  const wal = WalSync.open(file, fdatasync, fdatasyncNow);
  const checkpointer = new SqliteCheckpointer(
    file,
    () => {
      // No worker to checkpoint: the writer does it again, in its commits (SQLite's default).
      writer.pragma("wal_autocheckpoint = 1000");
    },
    checkpoints?.intervalMs,
    checkpoints?.restartBytes,
    wal.restartGate,
  );
  const writerDialect = sqliteDialect(writer, wal);
  const db = new Kysely<Database>({ dialect: writerDialect });
  const reader = connect(file);
  reader.pragma("query_only = ON");
  // Reads (sessions, access checks, views, reports) keep 16 MiB: a long report scan cannot grow
  // the server by more than that.
  reader.pragma("cache_size = -16384");
  const readDb = new Kysely<Database>({ dialect: sqliteDialect(reader, null) });
  return {
    db,
    readDb,
    dialect: "sqlite",
    wal,
    direct: writerDialect.direct,
    close: async () => {
      await checkpointer.close();
      await readDb.destroy();
      // The last connection to close checkpoints the WAL and removes it.
      await db.destroy();
      await wal.close();
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
  /** Repeated statements as named prepared statements (default true; see pg-prepared.ts). */
  readonly preparedStatements?: boolean;
}

export function openPostgres({
  url,
  poolSize,
  preparedStatements = true,
}: PostgresOptions): DatabaseHandle {
  installInt8Parser();
  const pgPool = new pg.Pool({ connectionString: url, max: poolSize });
  const pool = preparedStatements ? preparingPool(pgPool) : pgPool;
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, readDb: db, dialect: "postgres", close: () => db.destroy() };
}
