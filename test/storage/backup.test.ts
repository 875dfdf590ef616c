/**
 * `escrow backup`: a consistent copy of the embedded database while a server keeps writing,
 * checked before it takes the target's name; never over an existing file.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { sqliteFile } from "../../src/main.js";
import { backupSqlite, BackupError } from "../../src/storage/backup.js";
import { createTestServer, offer, type TestServer } from "../support/server.js";
import { ROOT } from "../support/processes.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "escrow-backup-test-"));
  dirs.push(dir);
  return dir;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** The CLI, run as a user would (`escrow backup ...`), with its exit code and output. */
function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

const counts = (file: string) => {
  const db = new SQLite(file, { readonly: true });
  try {
    const count = (table: string) =>
      db.prepare(`select count(*) from ${table}`).pluck().get() as number;
    return { contracts: count("contracts"), entries: count("journal_entries") };
  } finally {
    db.close();
  }
};

describe("backup of the embedded database", () => {
  it("R4: the copy holds what was committed, with a sound ledger, and nothing else is left beside it", async () => {
    server = await createTestServer("sqlite");
    const client = await server.signUp("Carol");
    const freelancer = await server.signUp("Frank", { card: null });
    for (let i = 0; i < 5; i++) await offer(server, client, freelancer, [10_000, 5_000]);
    const target = path.join(tempDir(), "nested", "escrow-copy.sqlite");
    const result = await backupSqlite(sqliteFile(server.app.services.config), target);
    expect(result).toMatchObject({ file: target, contracts: 5, journalEntries: 5, violations: [] });
    expect(fs.statSync(target).size).toBe(result.bytes);
    expect(counts(target)).toEqual({ contracts: 5, entries: 5 });
    expect(fs.readdirSync(path.dirname(target))).toEqual(["escrow-copy.sqlite"]);
  });

  it("never writes over an existing file, and refuses a database that is not there", async () => {
    server = await createTestServer("sqlite");
    const source = sqliteFile(server.app.services.config);
    const dir = tempDir();
    const target = path.join(dir, "taken.sqlite");
    fs.writeFileSync(target, "an older backup");
    await expect(backupSqlite(source, target)).rejects.toThrow(BackupError);
    expect(fs.readFileSync(target, "utf8")).toBe("an older backup");
    await expect(
      backupSqlite(path.join(dir, "missing.sqlite"), path.join(dir, "x")),
    ).rejects.toThrow(/no database at/);
    expect(fs.readdirSync(dir)).toEqual(["taken.sqlite"]);
  });

  it("R4: `escrow backup FILE` copies one consistent snapshot while the server keeps committing offers; a copy whose ledger is broken is kept and exits 1", async () => {
    server = await createTestServer("sqlite");
    const client = await server.signUp("Carol");
    const freelancer = await server.signUp("Frank", { card: null });
    await offer(server, client, freelancer, [10_000]);
    // Some 24 MiB of other pages, so the copy takes a while and the server writes meanwhile.
    const db = server.app.handle.db;
    await sql`create table filler (id integer primary key, body blob)`.execute(db);
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 6000)
      insert into filler select i, randomblob(4000) from n`.execute(db);
    const dataDir = server.app.services.config.dataDir;
    const target = path.join(tempDir(), "ok.sqlite");
    let writing = true;
    const writer = (async () => {
      let made = 0;
      while (writing) {
        await offer(server, client, freelancer, [1_000]);
        made++;
      }
      return made;
    })();
    const ok = await cli(["backup", target], { ESCROW_DATA_DIR: dataDir });
    writing = false;
    const made = await writer;
    expect(ok.output).toContain("integrity ok, ledger ok");
    expect(ok.code).toBe(0);
    expect(made).toBeGreaterThan(0);
    // Each offer funds its first milestone in its own commit: a snapshot has one journal entry
    // per contract, whichever moment it was taken at.
    const copy = counts(target);
    expect(copy.entries).toBe(copy.contracts);
    expect(copy.contracts).toBeGreaterThanOrEqual(1);
    expect(copy.contracts).toBeLessThanOrEqual(1 + made);
    expect(ok.output).toContain(`${copy.contracts} contracts, ${copy.entries} journal entries)`);

    const usage = await cli(["backup"], { ESCROW_DATA_DIR: dataDir });
    expect(usage.code).toBe(2);
    expect(usage.output).toContain("Usage: escrow backup FILE");
    const onPostgres = await cli(["backup", target], {
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
    });
    expect(onPostgres.code).toBe(2);
    expect(onPostgres.output).toContain("pg_dump");
    const again = await cli(["backup", target], { ESCROW_DATA_DIR: dataDir });
    expect(again.code).toBe(1);
    expect(again.output).toContain("exists already");

    // A posting slipped into an entry behind the ledger's back (rows are append-only): the
    // entry no longer balances, the copy shows it, and the command says so.
    await sql`insert into postings (id, entry_id, account, account_kind, owner_user_id,
      contract_id, milestone_id, type, amount, currency, created_at)
      select 'tampered', entry_id, account, account_kind, owner_user_id, contract_id,
        milestone_id, type, 1, currency, created_at
      from postings where id = (select min(id) from postings)`.execute(server.app.handle.db);
    const broken = path.join(tempDir(), "broken.sqlite");
    const bad = await cli(["backup", broken], { ESCROW_DATA_DIR: dataDir });
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/unbalanced_entry/);
    expect(bad.output).toMatch(/ledger violations \(the copy holds them/);
    expect(fs.existsSync(broken)).toBe(true);
  });
});
