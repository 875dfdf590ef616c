/**
 * The SQLite driver: Kysely's dialect parts with our own connection, which keeps statements
 * prepared and makes every commit durable without stopping the event loop.
 *
 * better-sqlite3 runs on the event loop, so with `synchronous = FULL` every commit would block the
 * whole server for the length of an fsync (about 2 ms for a group commit here). Instead the writer
 * connection runs with `synchronous = NORMAL`, where SQLite writes a commit's WAL frames without
 * syncing them, and this driver syncs the WAL itself, on libuv's thread pool (`fdatasync`), before
 * the statement that committed returns. A caller that writes is still answered only after its
 * commit is on disk, exactly as with FULL; the event loop keeps serving other requests meanwhile,
 * and syncs that are asked for while one is in flight share the next one.
 *
 * In WAL mode NORMAL differs from FULL only in that sync after each commit (SQLite still syncs
 * the WAL before a checkpoint, the database after it, and the WAL header when the WAL is reused),
 * so NORMAL plus this sync is as durable as FULL. Checkpoints run on a worker thread
 * (`SqliteCheckpointer`), not in the writer's commits, so they do not stop the event loop either.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type SQLite from "better-sqlite3";
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from "kysely";

/**
 * Coalescing `fdatasync` of one file. `sync()` resolves once everything written to the file
 * before the call is on disk: it joins the sync queued behind the one in flight, or starts one.
 * After a failed sync every later sync fails too (the kernel may have dropped the dirty pages,
 * so a later success would prove nothing): the process must stop accepting writes.
 */
export class FileSync {
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private failure: Error | null = null;
  private readonly fdatasync: (fd: number) => Promise<void>;
  /** The blocking variant for `syncNow`; null when only an asynchronous one was given. */
  private readonly fdatasyncNow: ((fd: number) => void) | null;

  /**
   * `fdatasync` replaces the thread-pool sync and `fdatasyncNow` the blocking one (tests); a
   * replaced `fdatasync` without `fdatasyncNow` leaves no blocking variant, so every sync goes
   * through the replacement.
   */
  constructor(
    private readonly fd: number,
    fdatasync?: (fd: number) => Promise<void>,
    fdatasyncNow?: (fd: number) => void,
  ) {
    this.fdatasync =
      fdatasync ??
      ((file) =>
        new Promise((resolve, reject) =>
          fs.fdatasync(file, (error) => (error ? reject(error) : resolve())),
        ));
    this.fdatasyncNow = fdatasyncNow ?? (fdatasync ? null : fs.fdatasyncSync);
  }

  /**
   * Whether `syncNow` can be used: there is a blocking variant, and no sync is running or
   * queued on the thread pool. Syncs never overlap, so a failure is always seen by the sync of
   * the earliest commit it may concern, before any later commit is answered (after a failed
   * writeback the kernel reports the error once, to one of the calls that overlap it).
   */
  get canSyncNow(): boolean {
    return this.fdatasyncNow !== null && this.inFlight === null && this.queued === null;
  }

  /**
   * Syncs on the calling thread: everything written to the file before the call is on disk
   * when it returns. Same failure rule as `sync`.
   */
  syncNow(): void {
    if (this.failure !== null) throw this.failure;
    const fdatasyncNow = this.fdatasyncNow;
    if (fdatasyncNow === null || !this.canSyncNow) {
      throw new Error("no blocking fdatasync now (none given, or a sync is in flight)");
    }
    try {
      fdatasyncNow(this.fd);
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      throw this.failure;
    }
  }

  /** The failure that ended this file's syncs, if one did. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Resolves when no sync is running or queued (whatever their outcome). */
  async settled(): Promise<void> {
    while (this.queued ?? this.inFlight) {
      await (this.queued ?? this.inFlight)!.catch(() => undefined);
    }
  }

  sync(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.queued) return this.queued;
    if (!this.inFlight) return this.start();
    const after = this.inFlight;
    const queued = after.then(
      () => this.start(),
      () => this.start(),
    );
    this.queued = queued;
    return queued;
  }

  private start(): Promise<void> {
    this.queued = null;
    if (this.failure !== null) return Promise.reject(this.failure);
    const run = this.fdatasync(this.fd).then(
      () => {
        if (this.inFlight === run) this.inFlight = null;
      },
      (error: unknown) => {
        this.failure = error instanceof Error ? error : new Error(String(error));
        if (this.inFlight === run) this.inFlight = null;
        throw error;
      },
    );
    this.inFlight = run;
    return run;
  }
}

/**
 * Lets the checkpoint worker's RESTART run between two group-commit batches. A RESTART needs the
 * write lock, and under steady load the writer releases it only for a moment between batches,
 * which the worker's busy wait rarely catches: the WAL then grew for as long as the load lasted.
 * So the worker asks (WANTED), the writer pauses before its next batch (PAUSED), and the worker
 * lets it go (IDLE) once the WAL has started over: one short, planned wait. The state lives in
 * shared memory, so neither side waits for the other's event loop.
 */
export class RestartGate {
  static readonly IDLE = 0;
  static readonly WANTED = 1;
  static readonly PAUSED = 2;
  /** Longest the writer waits for the worker; after that it goes on (and may meet a busy lock). */
  static readonly MAX_PAUSE_MS = 250;
  readonly shared = new SharedArrayBuffer(4);
  private readonly state = new Int32Array(this.shared);

  /** For the writer, before a batch: null, or a promise that settles when it may go on. */
  pauseIfWanted(): Promise<void> | null {
    const { IDLE, WANTED, PAUSED, MAX_PAUSE_MS } = RestartGate;
    if (Atomics.compareExchange(this.state, 0, WANTED, PAUSED) !== WANTED) return null;
    // Wakes the worker, which is waiting for the writer to pause.
    Atomics.notify(this.state, 0);
    // waitAsync does not keep the process alive on its own; the timer does.
    const alive = setTimeout(() => undefined, MAX_PAUSE_MS);
    const waited = Atomics.waitAsync(this.state, 0, PAUSED, MAX_PAUSE_MS);
    return Promise.resolve(waited.value).then(() => {
      clearTimeout(alive);
      Atomics.compareExchange(this.state, 0, PAUSED, IDLE);
    });
  }
}

/** The WAL of an open database: its file, synced after each commit. */
export class WalSync {
  private readonly file: FileSync;
  private deferring = false;
  /** Where the checkpoint worker that restarts this WAL meets the writer (see `RestartGate`). */
  readonly restartGate = new RestartGate();

  constructor(
    private readonly fd: number,
    fdatasync?: (fd: number) => Promise<void>,
    fdatasyncNow?: (fd: number) => void,
  ) {
    this.file = new FileSync(fd, fdatasync, fdatasyncNow);
  }

  static open(
    databaseFile: string,
    fdatasync?: (fd: number) => Promise<void>,
    fdatasyncNow?: (fd: number) => void,
  ): WalSync {
    return new WalSync(fs.openSync(`${databaseFile}-wal`, "r"), fdatasync, fdatasyncNow);
  }

  /** Everything committed before this call is on disk when it resolves. */
  sync(): Promise<void> {
    return this.file.sync();
  }

  /** `sync` on the calling thread, blocking it (see the group commit's small batches). */
  syncNow(): void {
    this.file.syncNow();
  }

  get canSyncNow(): boolean {
    return this.file.canSyncNow;
  }

  /** Set once a sync has failed: from then on the writer refuses every statement. */
  get failed(): Error | null {
    return this.file.failed;
  }

  /**
   * Runs `commit` (the group commit's COMMIT, on the connection it holds) without the driver's
   * sync: the caller calls `sync()` itself before answering anyone, and meanwhile runs its next
   * batch.
   */
  async commitWithoutSync(commit: () => Promise<unknown>): Promise<void> {
    this.deferring = true;
    try {
      await commit();
    } finally {
      this.deferring = false;
    }
  }

  /** For the driver: a commit that the caller syncs (see `commitWithoutSync`). */
  get syncDeferred(): boolean {
    return this.deferring;
  }

  /** Waits for the syncs in flight, then closes the file. */
  async close(): Promise<void> {
    await this.file.settled();
    fs.closeSync(this.fd);
  }
}

const STATEMENT_CACHE_SIZE = 500;
/**
 * How long a statement outside a transaction keeps retrying while the database is locked (the
 * connection's own `busy_timeout` is 0, so that waiting never blocks the event loop).
 */
const BUSY_WAIT_MS = 5_000;

/**
 * Statements run straight on a connection's prepared statements, past Kysely's executor (its
 * connection hand-off and several promise turns, about 2 us a statement): the group commit's
 * commands run a few dozen statements each, inside a transaction the group commit holds.
 */
export interface DirectRunner {
  /**
   * Runs `text` with `parameters` if the connection is inside a transaction; undefined, having
   * done nothing, if it is not (the statement then goes through Kysely, which waits for locks).
   */
  runInTransaction<R>(text: string, parameters: readonly unknown[]): QueryResult<R> | undefined;
}

class SqliteConnection implements DatabaseConnection, DirectRunner {
  /** Kysely prepares every statement on each execution; ours stay prepared (a few hundred). */
  private readonly statements = new Map<string, SQLite.Statement>();
  /** A statement wrote since the last sync. */
  private dirty = false;

  constructor(
    readonly sqlite: SQLite.Database,
    private readonly wal: WalSync | null,
  ) {}

  private prepare(text: string): SQLite.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = this.sqlite.prepare(text);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) {
        this.statements.delete(this.statements.keys().next().value!);
      }
      this.statements.set(text, statement);
    }
    return statement;
  }

  private run<R>(statement: SQLite.Statement, parameters: unknown[]): QueryResult<R> {
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  private refuseAfterFailedSync(): void {
    const failed = this.wal?.failed;
    if (failed) {
      // Whether earlier commits reached the disk is unknown; committing more on top of them
      // would acknowledge nothing but could still land. Only a restart (and SQLite's recovery
      // of the WAL) settles what is durable.
      throw new Error(
        `writes are refused until the server restarts: syncing the write-ahead log failed (${failed.message})`,
      );
    }
  }

  runInTransaction<R>(text: string, parameters: readonly unknown[]): QueryResult<R> | undefined {
    // A statement that ends the transaction (COMMIT) goes through executeQuery, which syncs the
    // WAL after it.
    return this.sqlite.inTransaction ? this.runInside<R>(text, parameters) : undefined;
  }

  /** A statement inside a transaction: there is no lock to wait for. */
  private runInside<R>(text: string, parameters: readonly unknown[]): QueryResult<R> {
    this.refuseAfterFailedSync();
    const statement = this.prepare(text);
    const result = this.run<R>(statement, parameters as unknown[]);
    if (!statement.readonly) this.dirty = true;
    return result;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = this.sqlite.inTransaction
      ? this.runInside<R>(compiled.sql, compiled.parameters)
      : await this.runOutsideTransaction<R>(compiled);
    // Outside a transaction after a write: that write (or the COMMIT that just ran) is committed
    // and must reach the disk before anyone is told.
    if (this.dirty && !this.sqlite.inTransaction && this.wal) {
      this.dirty = false;
      if (!this.wal.syncDeferred) await this.wal.sync();
    }
    return result;
  }

  /**
   * Outside a transaction a statement that finds the database locked (another process's writer,
   * a checkpoint restarting the WAL) has done nothing, so it is tried again after a pause that
   * leaves the event loop free. The connection's own busy timeout would sleep the whole server
   * instead.
   */
  private async runOutsideTransaction<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    this.refuseAfterFailedSync();
    const statement = this.prepare(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    let result: QueryResult<R>;
    let started: number | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        result = this.run(statement, parameters);
        break;
      } catch (error) {
        started ??= Date.now();
        const code = (error as { code?: unknown }).code;
        if (code !== "SQLITE_BUSY" || Date.now() - started > BUSY_WAIT_MS) throw error;
        // A checkpoint holds the lock for milliseconds: look again every millisecond.
        await new Promise((resolve) =>
          attempt === 0 ? setImmediate(resolve) : setTimeout(resolve, 1),
        );
      }
    }
    if (!statement.readonly) this.dirty = true;
    return result;
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    // Long reads are paged (keyset) so that no statement is left half-read on the connection.
    throw new Error("streaming queries are not supported on SQLite; page with a keyset instead");
  }
}

/** One connection, handed to one user at a time, first come first served. */
class SqliteDriver implements Driver {
  private readonly waiting: (() => void)[] = [];
  private busy = false;
  private readonly connection: SqliteConnection;

  private readonly writer: boolean;

  constructor(connection: SqliteConnection, wal: WalSync | null) {
    this.connection = connection;
    this.writer = wal !== null;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy = true;
    return this.connection;
  }

  releaseConnection(): Promise<void> {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
    return Promise.resolve();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // The writer takes its write lock at BEGIN, where a busy database is waited for (outside a
    // transaction); a deferred BEGIN could meet a lock on its first write, inside the transaction.
    await connection.executeQuery(CompiledQuery.raw(this.writer ? "begin immediate" : "begin"));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  destroy(): Promise<void> {
    this.connection.sqlite.close();
    return Promise.resolve();
  }
}

/** A Kysely dialect on one better-sqlite3 connection, and that connection for direct statements. */
export function sqliteDialect(
  sqlite: SQLite.Database,
  wal: WalSync | null,
): Dialect & { readonly direct: DirectRunner } {
  const connection = new SqliteConnection(sqlite, wal);
  return {
    direct: connection,
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new SqliteDriver(connection, wal),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

/**
 * Checkpoints the WAL into the database file on a worker thread with its own connection, so the
 * writer's commits never do it (`wal_autocheckpoint = 0` on the writer). Every tick copies what it
 * can without blocking anyone (PASSIVE). Under steady writes a passive checkpoint never finds the
 * WAL idle, and SQLite only starts the WAL over when it is fully copied, so once the WAL passes
 * `restartBytes` the worker runs a RESTART checkpoint: it waits for the writer to finish its
 * transaction, copies the little that the passive passes left, and lets the next writer start
 * the WAL from the top (the writer retries off the event loop meanwhile). The WAL file thus stays
 * near `restartBytes` instead of growing with every write. Before the RESTART, passive passes run
 * back to back until one finds almost nothing new, and the database file is synced, so the writer
 * waits only for a short copy and the sync of what it copied. What each tick copies is synced on
 * that tick, so the file's writeback comes in small pieces, not in one flush per restart.
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private exited = false;
  private closing = false;

  /**
   * `onStopped` runs if the worker ends on its own (it could not open the database, or died):
   * the caller then lets the writer checkpoint again, so the WAL cannot grow without bound.
   */
  constructor(
    databaseFile: string,
    onStopped: () => void,
    intervalMs = 100,
    restartBytes = 64 * 1024 * 1024,
    gate: RestartGate | null = null,
  ) {
    const require = createRequire(import.meta.url);
    this.worker = new Worker(CHECKPOINT_WORKER, {
      eval: true,
      workerData: {
        driver: require.resolve("better-sqlite3"),
        file: databaseFile,
        intervalMs,
        restartBytes,
        gate: gate?.shared ?? null,
      },
    });
    // An error thrown in the worker ends it; "exit" follows, and that is where it is handled.
    this.worker.on("error", () => undefined);
    this.worker.on("exit", () => {
      this.exited = true;
      if (!this.closing) onStopped();
    });
    // The worker must not keep the process alive on its own.
    this.worker.unref();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      this.worker.once("exit", () => resolve());
      // Kept alive until it has closed its connection.
      this.worker.ref();
      this.worker.postMessage("stop");
    });
  }
}

const CHECKPOINT_WORKER = `
const fs = require("node:fs");
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// The database file, to sync what the passive passes copy into it (each tick, and before the
// writer pauses for a restart).
const dbFd = fs.openSync(workerData.file, "r");
// RESTART holds the write lock (and the writer waits at the gate) while it waits for readers:
// wait 3 ms at most (SQLite's busy handler sleeps 1 ms, then 2), enough for a request's read,
// and after a busy attempt leave the writer alone for a second (a long reader, such as a report
// export or a backup, may be at work). With 10 ms, each attempt during a long read stopped
// every write for 10 ms.
db.pragma("busy_timeout = 3");
const frameBytes = db.pragma("page_size", { simple: true }) + 24;
const gate = workerData.gate ? new Int32Array(workerData.gate) : null;
let timer = null;
let restartAfter = 0;
// The writer waits while RESTART copies what the passive passes left and syncs the database
// file: so passes run back to back first, until one finds (almost) nothing new to copy.
const CATCH_UP_PASSES = 4;
const CAUGHT_UP_MS = 2;
// Frames of the current WAL copied into the database file and synced there.
let synced = 0;
const tick = () => {
  try {
    const [passive] = db.pragma("wal_checkpoint(PASSIVE)");
    // What this pass copied is synced now, a tick's worth at a time. Left to the restart, the
    // file gathered up to restartBytes of unsynced pages (the OS writes back dirty pages only
    // after 30 s), whose flush in one go made the writer's WAL syncs wait behind it.
    if (passive.checkpointed !== synced) {
      fs.fdatasyncSync(dbFd);
      synced = passive.checkpointed;
    }
    if (passive.log * frameBytes > workerData.restartBytes && Date.now() >= restartAfter) {
      for (let pass = 0; pass < CATCH_UP_PASSES; pass++) {
        const started = performance.now();
        db.pragma("wal_checkpoint(PASSIVE)");
        if (performance.now() - started < CAUGHT_UP_MS) break;
      }
      // A passive pass syncs the database file only when no frame was added while it copied,
      // which under steady writes is never: everything the passes copied would be synced by the
      // RESTART, with the writer waiting (10 ms and more at 100 MB/s of WAL). Synced here, the
      // RESTART syncs only the pages it copies itself.
      fs.fdatasyncSync(dbFd);
      // Ask the writer to pause before its next batch (RestartGate); a writer with nothing to do
      // never looks, so after a short wait the request is withdrawn and the RESTART goes ahead.
      if (gate) {
        Atomics.store(gate, 0, ${RestartGate.WANTED});
        Atomics.wait(gate, 0, ${RestartGate.WANTED}, 50);
        Atomics.compareExchange(gate, 0, ${RestartGate.WANTED}, ${RestartGate.IDLE});
      }
      let restart;
      try {
        [restart] = db.pragma("wal_checkpoint(RESTART)");
        // The next write starts the WAL over, counting from zero (SQLite synced what the
        // RESTART copied).
        if (!restart.busy) synced = 0;
      } finally {
        if (gate) {
          Atomics.store(gate, 0, ${RestartGate.IDLE});
          Atomics.notify(gate, 0);
        }
      }
      if (restart.busy) restartAfter = Date.now() + 1000;
    }
  } catch (error) {
    // A checkpoint that could not run (a lock, a busy disk) is simply tried on the next tick.
    // Anything else, such as a failed sync of the database file (ours, or SQLite's own, an I/O
    // error), ends the worker: the pages copied into the file may not be on disk, and only the
    // WAL still holds them for sure, so it must not be started over by a later, luckier pass.
    // The writer then checkpoints in its own commits, where SQLite's own sync fails too (Linux
    // reports a writeback error to every file description open on the file).
    if (!(error instanceof Database.SqliteError) || String(error.code).startsWith("SQLITE_IOERR")) {
      throw error;
    }
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
tick();
parentPort.on("message", (message) => {
  if (message !== "stop") return;
  clearTimeout(timer);
  db.close();
  fs.closeSync(dbFd);
  parentPort.close();
});
`;
