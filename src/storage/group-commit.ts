/**
 * Group commit for the embedded database. SQLite has one writer, and with synchronous=FULL
 * every commit waits for the disk; so commands that arrive while a commit is in flight are
 * queued and then run together in one transaction, each in its own savepoint (one command's
 * failure rolls back only its own writes), and all are answered after the one durable commit.
 *
 * There is no timer: a command that finds the queue idle waits one turn of the event loop, no
 * more. Batches grow only when commands arrive faster than the disk commits, which is exactly
 * when sharing pays.
 *
 * With the WAL synced off the event loop (sqlite-driver.ts) the batches are pipelined: once a
 * batch has committed, its WAL sync runs on the thread pool while the next batch executes, and
 * the batch's commands are answered when that sync (or a later one) has finished. A small batch
 * syncs on the event loop's thread instead and is answered at once (`INLINE_SYNC_MAX`).
 */
import { sql, type Kysely } from "kysely";
import type { Tx, WriteOptions } from "../app/ports.js";
import { query, runDirectly } from "./fast-sql.js";
import type { Database } from "./schema.js";
import { SqlTx } from "./sql-tx.js";
import type { DirectRunner, WalSync } from "./sqlite-driver.js";

interface Pending {
  readonly fn: (conn: Kysely<Database>) => Promise<unknown>;
  /** When it was queued (performance.now()). */
  readonly queuedAt: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Settled =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** Most commands one commit carries; bounds the latency a large batch adds to its first command. */
const MAX_BATCH = 64;
/**
 * Background commands (the sweep, notification fan-out) join a batch after the requests in it,
 * one after another while the batch has run for less than this: at least one, so they always
 * progress, and a request that arrives meanwhile waits a few milliseconds at most, however many
 * background commands are queued and however large each is (a fan-out writes many rows).
 * The timed rules go first: notification work waits while rules are queued, so a large sweep
 * pays its milestones before the notifications it causes are written.
 */
const BACKGROUND_BUDGET_MS = 4;
/**
 * A batch of requests leaves background work that has waited less than this for the next batch
 * without requests (the next quiet moment, usually the next turn of the event loop), so the
 * requests are not answered a few milliseconds later for it; work that has waited longer joins
 * the requests' batch as before, so under steady load it keeps up.
 */
const BACKGROUND_MAX_WAIT_MS = 50;
/**
 * A batch of at most this many commands (a quiet moment) syncs the WAL on the event loop's own
 * thread and is answered at once. Synced on the thread pool instead, its completion would wait
 * for the event loop to finish the next batch, which takes longer than the sync (about 0.2 ms
 * here for a small batch's pages); a large batch (a busy moment) still syncs on the pool while
 * the next one runs, which is what carries peak throughput.
 */
const INLINE_SYNC_MAX = 8;

export class SqliteGroupCommit {
  private readonly queue: Pending[] = [];
  /** Background work, taken in this order: the timed rules, then notification work. */
  private readonly background = { rules: [] as Pending[], notifications: [] as Pending[] };
  private draining = false;
  /** How long background commands may fill a batch (tests that must not depend on timing change it). */
  backgroundBudgetMs = BACKGROUND_BUDGET_MS;
  /** How long background work may wait for a batch without requests (tests change it). */
  backgroundMaxWaitMs = BACKGROUND_MAX_WAIT_MS;
  /** Commands per commit, for the benchmark's report. */
  readonly stats = { commits: 0, commands: 0 };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly mapError: (error: unknown) => unknown,
    private readonly wal: WalSync | null = null,
    /** The writer connection under `db`: the commands' statements run on it directly. */
    private readonly direct: DirectRunner | null = null,
  ) {}

  write<T>(fn: (tx: Tx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    return this.run((conn) => fn(new SqlTx(conn, "sqlite")), options);
  }

  /** Runs `fn` on the writer connection inside a shared transaction, in its own savepoint. */
  run<T>(fn: (conn: Kysely<Database>) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = {
        fn,
        queuedAt: performance.now(),
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      (options.background ? this.background[options.background] : this.queue).push(pending);
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 || this.nextBackground(false)) {
        // better-sqlite3 is synchronous, so a batch's requests run without yielding to the
        // event loop (it turns only between background commands); one turn of the loop first
        // lets requests that are already in flight reach the queue and share this commit.
        await new Promise((resolve) => setImmediate(resolve));
        // The checkpoint worker starts the WAL over between two batches (RestartGate).
        await this.wal?.restartGate.pauseIfWanted();
        await this.runBatch(this.queue.splice(0, MAX_BATCH));
      }
    } finally {
      this.draining = false;
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    let settled: Settled[] = [];
    try {
      settled = await this.db.connection().execute(async (conn) => {
        if (this.direct) runDirectly(conn, this.direct);
        await sql`begin immediate`.execute(conn);
        try {
          const results: Settled[] = [];
          const started = performance.now();
          for (const item of batch) results.push(await this.runOne(conn, item));
          // Then background commands, at least one, while the batch is young; in a batch of
          // requests only once the oldest has waited long enough.
          const oldest = this.nextBackground(false);
          const backgroundNow =
            results.length === 0 ||
            (oldest !== undefined &&
              performance.now() - oldest.queuedAt >= this.backgroundMaxWaitMs);
          for (
            let item = backgroundNow ? this.nextBackground(true) : undefined;
            item;
            item = this.nextBackground(true)
          ) {
            batch.push(item);
            results.push(await this.runOne(conn, item));
            if (performance.now() - started >= this.backgroundBudgetMs || batch.length >= MAX_BATCH)
              break;
            // Between background commands the event loop turns: earlier batches whose sync has
            // finished are answered, and requests that arrived meanwhile run next, in this
            // commit, which then ends, instead of waiting for it to end and for a whole batch
            // more. (Nothing else writes meanwhile: the connection is held until the commit.)
            await new Promise((resolve) => setImmediate(resolve));
            const arrived = this.queue.splice(0, MAX_BATCH - batch.length);
            for (const request of arrived) {
              batch.push(request);
              results.push(await this.runOne(conn, request));
            }
            if (arrived.length > 0) break;
          }
          const commit = () => sql`commit`.execute(conn);
          await (this.wal ? this.wal.commitWithoutSync(commit) : commit());
          return results;
        } catch (error) {
          await sql`rollback`.execute(conn).catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      // The commit itself failed: nothing of this batch is durable, so every command fails.
      for (const item of batch) item.reject(error);
      return;
    }
    this.stats.commits += 1;
    this.stats.commands += batch.length;
    const answer = () =>
      batch.forEach((item, index) => {
        const outcome = settled[index]!;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    if (!this.wal) return answer();
    // Answered once the commit is on disk. A failed sync leaves the commit's durability unknown,
    // so every command of the batch fails.
    if (batch.length <= INLINE_SYNC_MAX && this.wal.canSyncNow) {
      try {
        this.wal.syncNow();
      } catch (error) {
        for (const item of batch) item.reject(error);
        return;
      }
      return answer();
    }
    // The next batch runs meanwhile.
    this.wal.sync().then(answer, (error: unknown) => {
      for (const item of batch) item.reject(error);
    });
  }

  /** The next background command (removed from its queue when `take`), rules first. */
  private nextBackground(take: boolean): Pending | undefined {
    const { rules, notifications } = this.background;
    const queue = rules.length > 0 ? rules : notifications;
    return take ? queue.shift() : queue[0];
  }

  private async runOne(conn: Kysely<Database>, item: Pending): Promise<Settled> {
    await query(conn, "savepoint grouped_command", []);
    try {
      const value = await item.fn(conn);
      await query(conn, "release savepoint grouped_command", []);
      return { ok: true, value };
    } catch (error) {
      await query(conn, "rollback to savepoint grouped_command", []);
      await query(conn, "release savepoint grouped_command", []);
      return { ok: false, error: this.mapError(error) };
    }
  }
}
