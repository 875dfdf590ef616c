/**
 * A consistent copy of the embedded database, taken while servers keep writing (`escrow backup`).
 *
 * `VACUUM INTO` reads one snapshot of the database (a WAL read transaction: writers go on, and
 * nothing they do restarts the copy) and writes it out compacted. SQLite's online backup API,
 * which the `sqlite3` shell's `.backup` uses, starts over whenever another connection writes
 * between its steps, so on a server that commits every few milliseconds a large copy may never
 * finish. The copy is written beside the target, synced, checked with SQLite's integrity check,
 * and only then linked under the target's name (which fails, rather than replaces, if a file has
 * appeared there meanwhile): a crash or a corrupt copy never leaves a partial or broken file
 * under that name. A process killed mid-copy leaves `FILE.partial-PID` beside it. Its ledger is checked too (every invariant of R4); a violation
 * is reported, and the copy kept, since it is still the state the database was in.
 */
import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { Database } from "./schema.js";
import { verifyLedger, type LedgerViolation } from "./verify-ledger.js";

export class BackupError extends Error {}

export interface BackupResult {
  readonly file: string;
  readonly bytes: number;
  readonly contracts: number;
  readonly journalEntries: number;
  /** The ledger invariants the copy breaks (none for a sound database). */
  readonly violations: readonly LedgerViolation[];
  readonly seconds: number;
}

/** Writes a checked copy of the SQLite database `source` to `target`, which must not exist. */
export async function backupSqlite(source: string, target: string): Promise<BackupResult> {
  const started = performance.now();
  if (!fs.existsSync(source)) throw new BackupError(`no database at ${source}`);
  const file = path.resolve(target);
  if (fs.existsSync(file)) throw new BackupError(`${file} exists already; choose a new name`);
  const created = fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  fs.rmSync(partial, { force: true });
  try {
    const from = new SQLite(source, { readonly: true, fileMustExist: true });
    try {
      from.pragma("busy_timeout = 5000");
      from.prepare("vacuum into ?").run(partial);
    } finally {
      from.close();
    }
    syncFile(partial);
    const checked = await check(partial);
    // A second name for the copy, refused if the target has appeared meanwhile (a rename would
    // replace it); the partial name is removed below.
    try {
      fs.linkSync(partial, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST")
        throw new BackupError(`${file} exists already; choose a new name`);
      throw error;
    }
    fs.rmSync(partial, { force: true });
    // The copy's directory entry, and those of the directories made for it, up to the parent
    // of the first one made.
    const last = created === undefined ? path.dirname(file) : path.dirname(created);
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      syncFile(dir);
      if (dir === last || dir === path.dirname(dir)) break;
    }
    return {
      file,
      bytes: fs.statSync(file).size,
      ...checked,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

function syncFile(file: string): void {
  const fd = fs.openSync(file, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** What the copy holds and the ledger invariants it breaks; throws if the copy is corrupt. */
async function check(
  file: string,
): Promise<{ contracts: number; journalEntries: number; violations: LedgerViolation[] }> {
  const copy = new SQLite(file, { readonly: true, fileMustExist: true });
  copy.defaultSafeIntegers(false);
  const integrity = copy.pragma("integrity_check", { simple: true });
  if (integrity !== "ok") {
    copy.close();
    throw new BackupError(`the copy failed SQLite's integrity check: ${String(integrity)}`);
  }
  const count = (table: string) =>
    copy.prepare(`select count(*) from ${table}`).pluck().get() as number;
  const held = { contracts: count("contracts"), journalEntries: count("journal_entries") };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: copy }) });
  try {
    return { ...held, violations: await verifyLedger(db) };
  } finally {
    await db.destroy();
  }
}
