/**
 * SQLite durability without blocking the event loop: the writer runs with synchronous=NORMAL and
 * the driver syncs the WAL on the thread pool before a committing statement returns; the group
 * commit answers a batch only after its sync. These tests hold the sync back and watch who waits.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqlite, type DatabaseHandle } from "../../src/storage/database.js";
import { migrateToLatest } from "../../src/storage/migrate.js";
import { SqlStore } from "../../src/storage/sql-store.js";
import { FileSync } from "../../src/storage/sqlite-driver.js";

/** An fdatasync that waits until the test lets it finish. */
class HeldSync {
  started = 0;
  private waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  readonly fdatasync = (_fd: number) =>
    new Promise<void>((resolve, reject) => {
      this.started += 1;
      this.waiting.push({ resolve, reject });
    });
  release(): void {
    for (const w of this.waiting.splice(0)) w.resolve();
  }
  fail(): void {
    for (const w of this.waiting.splice(0)) w.reject(new Error("EIO: i/o error, fdatasync"));
  }
}

/** A command through the group commit that inserts one rate-limit row. */
const insertThrough = (store: SqlStore, key: string) =>
  store.write(async (tx) => {
    await (tx as unknown as { db: DatabaseHandle["db"] }).db
      .insertInto("rate_limits")
      .values({ key, window_start: 0, count: 1 })
      .execute();
    return "done";
  });

const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

function state<T>(promise: Promise<T>) {
  const seen = { settled: false, ok: false, error: undefined as unknown };
  promise.then(
    () => Object.assign(seen, { settled: true, ok: true }),
    (error: unknown) => Object.assign(seen, { settled: true, error }),
  );
  return seen;
}

/** The keys committed to rate_limits, as another connection sees them. */
function rowsIn(dir: string): string[] {
  const other = new SQLite(path.join(dir, "escrow.sqlite"), { readonly: true });
  try {
    return (
      other.prepare("select key from rate_limits order by key").all() as { key: string }[]
    ).map((r) => r.key);
  } finally {
    other.close();
  }
}

/**
 * A migrated database in a new directory whose thread-pool syncs wait for the test; with
 * `syncNow`, small group-commit batches call it (given the directory) instead of syncing.
 */
async function openHeld(syncNow?: (dir: string) => void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "escrow-wal-"));
  const held = new HeldSync();
  const handle = openSqlite({
    file: path.join(dir, "escrow.sqlite"),
    fdatasync: held.fdatasync,
    fdatasyncNow: syncNow && (() => syncNow(dir)),
  });
  const migrating = migrateToLatest(handle);
  // Migrations commit too, and wait for their syncs like any write.
  for (let i = 0; i < 200 && !state(migrating).settled; i++) {
    await turns(2);
    held.release();
  }
  await migrating;
  return { dir, held, handle };
}

async function closeHeld(dir: string, held: HeldSync, handle: DatabaseHandle): Promise<void> {
  held.release();
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

describe("FileSync", () => {
  it("R4: a sync asked for while one is in flight joins the next one, which starts after it", async () => {
    const held = new HeldSync();
    const file = new FileSync(0, held.fdatasync);
    const first = state(file.sync());
    const second = state(file.sync());
    const third = state(file.sync());
    await turns();
    expect(held.started).toBe(1);
    held.release();
    await turns();
    // The first is done; the two that arrived during it share one new sync, not yet finished.
    expect([first.ok, second.settled, third.settled]).toEqual([true, false, false]);
    expect(held.started).toBe(2);
    held.release();
    await turns();
    expect([second.ok, third.ok]).toEqual([true, true]);
  });

  it("R4: after a failed sync every later sync fails (the written pages may be gone)", async () => {
    const held = new HeldSync();
    const file = new FileSync(0, held.fdatasync);
    const first = state(file.sync());
    await turns();
    held.fail();
    await turns();
    expect(first.settled && !first.ok).toBe(true);
    await expect(file.sync()).rejects.toThrow(/EIO/);
    expect(held.started).toBe(1);
  });
});

describe("SQLite writes wait for their WAL sync", () => {
  let dir: string;
  let held: HeldSync;
  let handle: DatabaseHandle;
  beforeEach(async () => {
    ({ dir, held, handle } = await openHeld());
  });
  afterEach(() => closeHeld(dir, held, handle));

  const committedRows = () => rowsIn(dir);

  /** A command through the group commit that inserts one row. */
  const groupWrite = (key: string) => insertThrough(new SqlStore(handle), key);

  it("R4, R24: a group-committed command is answered only after the WAL sync that follows its commit", async () => {
    const write = state(groupWrite("a"));
    await turns();
    // Committed (another connection sees it) but not yet durable, so not yet answered.
    expect(committedRows()).toEqual(["a"]);
    expect(held.started).toBeGreaterThan(0);
    expect(write.settled).toBe(false);
    held.release();
    await turns();
    expect(write.ok).toBe(true);
  });

  it("R4: a write outside the group commit (autocommit or its own transaction) also waits for its sync", async () => {
    const insert = state(
      handle.db.insertInto("rate_limits").values({ key: "b", window_start: 0, count: 1 }).execute(),
    );
    await turns();
    expect(committedRows()).toEqual(["b"]);
    expect(insert.settled).toBe(false);
    held.release();
    await turns();
    expect(insert.ok).toBe(true);

    const tx = state(
      handle.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("rate_limits")
          .values({ key: "c", window_start: 0, count: 1 })
          .execute();
      }),
    );
    await turns();
    expect(committedRows()).toEqual(["b", "c"]);
    expect(tx.settled).toBe(false);
    held.release();
    await turns();
    expect(tx.ok).toBe(true);
  });

  it("R4: reads do not wait for a sync", async () => {
    const before = held.started;
    const rows = await handle.db.selectFrom("rate_limits").selectAll().execute();
    expect(rows).toEqual([]);
    expect(held.started).toBe(before);
  });

  it("R4: when the sync fails the batch's commands fail, and every later write is refused before it commits", async () => {
    const write = state(groupWrite("d"));
    await turns();
    held.fail();
    await turns();
    expect(write.settled && !write.ok).toBe(true);
    expect(String(write.error)).toMatch(/EIO/);
    await expect(
      handle.db.insertInto("rate_limits").values({ key: "e", window_start: 0, count: 1 }).execute(),
    ).rejects.toThrow(/refused until the server restarts.*EIO/);
    await expect(groupWrite("f")).rejects.toThrow(/refused until the server restarts/);
    // Only the row whose sync failed is in the WAL; nothing written after the failure landed.
    expect(committedRows()).toEqual(["d"]);
  });
});

describe("small batches sync on the writer's thread", () => {
  let dir: string;
  let held: HeldSync;
  let handle: DatabaseHandle;
  /** The committed rows each blocking sync saw; `fail` makes the next one throw. */
  let calls: string[][];
  let fail: boolean;
  beforeEach(async () => {
    calls = [];
    fail = false;
    ({ dir, held, handle } = await openHeld((file) => {
      calls.push(rowsIn(file));
      if (fail) throw new Error("EIO: i/o error, fdatasync");
    }));
  });
  afterEach(() => closeHeld(dir, held, handle));

  const committedRows = () => rowsIn(dir);
  /** Enough commands for a batch too large to sync on the writer's thread. */
  const keys = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, "0")}`);

  it("R4, R24: a batch of a few commands is synced once after its commit, without the thread pool (the failure test below shows the answers wait for it)", async () => {
    const store = new SqlStore(handle);
    const before = held.started;
    const pending = ["a", "b", "c"].map((key) => state(insertThrough(store, key)));
    await turns();
    expect(pending.every((p) => p.ok)).toBe(true);
    expect(calls).toEqual([["a", "b", "c"]]);
    expect(held.started).toBe(before);
  });

  it("R4: a large batch syncs on the thread pool and is answered only when that sync ends", async () => {
    const store = new SqlStore(handle);
    const before = held.started;
    const pending = keys.map((key) => state(insertThrough(store, key)));
    await turns();
    expect(committedRows()).toEqual(keys);
    expect(calls).toEqual([]);
    expect(held.started).toBe(before + 1);
    expect(pending.some((p) => p.settled)).toBe(false);
    held.release();
    await turns();
    expect(pending.every((p) => p.ok)).toBe(true);
  });

  it("R4: a small batch that commits while a thread-pool sync runs waits for it instead (syncs never overlap)", async () => {
    const store = new SqlStore(handle);
    const large = keys.map((key) => state(insertThrough(store, key)));
    await turns();
    const small = state(insertThrough(store, "z"));
    await turns();
    // Committed behind the large batch, whose sync is still held: not synced, not answered.
    expect(committedRows()).toEqual([...keys, "z"]);
    expect(calls).toEqual([]);
    expect(small.settled).toBe(false);
    held.release();
    await turns();
    held.release();
    await turns();
    expect([...large, small].every((p) => p.ok)).toBe(true);
    expect(calls).toEqual([]);
  });

  it("R4: when the blocking sync fails the batch's commands fail, and every later write is refused", async () => {
    const store = new SqlStore(handle);
    fail = true;
    const write = state(insertThrough(store, "d"));
    await turns();
    expect(write.settled && !write.ok).toBe(true);
    expect(String(write.error)).toMatch(/EIO/);
    fail = false;
    await expect(insertThrough(store, "e")).rejects.toThrow(
      /refused until the server restarts.*EIO/,
    );
    await expect(
      handle.db.insertInto("rate_limits").values({ key: "f", window_start: 0, count: 1 }).execute(),
    ).rejects.toThrow(/refused until the server restarts/);
    expect(committedRows()).toEqual(["d"]);
  });
});

describe("checkpoints", () => {
  it("R4: the WAL is checkpointed by the background worker, not by the writer's commits", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "escrow-ckpt-"));
    const file = path.join(dir, "escrow.sqlite");
    const handle = openSqlite({ file });
    try {
      await migrateToLatest(handle);
      const store = new SqlStore(handle);
      await Promise.all(Array.from({ length: 200 }, (_, i) => insertThrough(store, `k${i}`)));
      // The main database file alone (without its WAL) holds the rows once they are checkpointed.
      // A copy taken while a checkpoint is writing pages can be torn: that counts as not yet.
      const inMainFile = () => {
        const copy = path.join(dir, "copy.sqlite");
        fs.copyFileSync(file, copy);
        let probe: SQLite.Database | undefined;
        try {
          probe = new SQLite(copy, { readonly: true });
          const table = probe
            .prepare("select 1 from sqlite_master where name = 'rate_limits'")
            .get();
          if (table === undefined) return 0;
          return (probe.prepare("select count(*) as n from rate_limits").get() as { n: number }).n;
        } catch {
          return -1;
        } finally {
          probe?.close();
          fs.rmSync(copy);
        }
      };
      let rows = inMainFile();
      for (let i = 0; i < 100 && rows < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        rows = inMainFile();
      }
      expect(rows).toBe(200);
    } finally {
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("R4: under steady writes the WAL starts over once it passes the restart size, so its file stays small", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "escrow-restart-"));
    const file = path.join(dir, "escrow.sqlite");
    const restartBytes = 256 * 1024;
    const handle = openSqlite({ file, checkpoints: { intervalMs: 10, restartBytes } });
    try {
      await migrateToLatest(handle);
      const store = new SqlStore(handle);
      const filler = "x".repeat(2000);
      let written = 0;
      let largest = 0;
      const sample = setInterval(() => {
        largest = Math.max(largest, fs.statSync(`${file}-wal`).size);
      }, 5);
      // 12 MiB of rows written without a pause, 8 at a time: the passive passes never find the
      // WAL idle, so only the worker's RESTART lets it start over.
      const rowsToWrite = 6000;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (written < rowsToWrite) {
            const i = written++;
            await insertThrough(store, `k${i}-${filler}`);
          }
        }),
      );
      clearInterval(sample);
      console.log(`largest WAL ${largest} bytes`);
      expect(largest).toBeGreaterThan(restartBytes);
      expect(largest).toBeLessThan(16 * restartBytes);
      const rows = await handle.db
        .selectFrom("rate_limits")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(rows.n)).toBe(written);
      // Every restart (each after the worker synced the database file) ran in the worker: had
      // it ended, the writer would checkpoint in its own commits again.
      const { rows: pragma } = await sql<{
        wal_autocheckpoint: number;
      }>`pragma wal_autocheckpoint`.execute(handle.db);
      expect(pragma[0]?.wal_autocheckpoint).toBe(0);
    } finally {
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
