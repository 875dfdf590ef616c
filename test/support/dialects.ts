/**
 * The databases every storage-touching suite runs on: SQLite always, and PostgreSQL at
 * ESCROW_TEST_POSTGRES_URL (default: the local server, postgres://postgres@127.0.0.1:5432/postgres;
 * set it to "off" to run SQLite only). Each test gets a database of its own, created here and
 * dropped after, so runs never share state. test/global-setup.ts fails the run early with a clear
 * message when the PostgreSQL server cannot be reached.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openPostgres, openSqlite, type DatabaseHandle } from "../../src/storage/database.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { migrateToLatest } from "../../src/storage/migrate.js";

const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const configured = process.env.ESCROW_TEST_POSTGRES_URL ?? DEFAULT_POSTGRES_URL;

export const POSTGRES_URL: string | undefined = configured === "off" ? undefined : configured;

export const DIALECTS: readonly Dialect[] = POSTGRES_URL ? ["sqlite", "postgres"] : ["sqlite"];

export interface TestDatabase {
  readonly handle: DatabaseHandle;
  /** The connection setting a server would be started with for this database. */
  readonly location: { dataDir?: string; databaseUrl?: string };
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/**
 * Drops a test database once its pools' connections have really closed: pg's pool.end()
 * returns before the sockets do, and a forced drop would then kill them mid-close.
 */
async function dropDatabase(name: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { rows } = await adminQuery(
      "select count(*)::int as n from pg_stat_activity where datname = $1",
      [name],
    );
    if ((rows[0] as { n: number }).n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await adminQuery(`drop database if exists ${name} with (force)`);
}

export interface TestDatabaseOptions {
  /** PostgreSQL only: the database's collation, an ICU locale (e.g. "en-US"), not byte order. */
  readonly icuLocale?: string;
}

export async function createTestDatabase(
  dialect: Dialect,
  migrate = true,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  if (dialect === "sqlite") {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "escrow-test-"));
    const handle = openSqlite({ file: path.join(dataDir, "escrow.sqlite") });
    if (migrate) await migrateToLatest(handle);
    return {
      handle,
      location: { dataDir },
      drop: async () => {
        await handle.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  if (!POSTGRES_URL) throw new Error("PostgreSQL tests are off (ESCROW_TEST_POSTGRES_URL=off)");
  const name = `escrow_test_${randomBytes(6).toString("hex")}`;
  const icu = options.icuLocale;
  if (icu !== undefined && !/^[A-Za-z-]+$/.test(icu)) throw new Error(`not a locale: ${icu}`);
  await adminQuery(
    `create database ${name}${icu ? ` template template0 locale_provider icu icu_locale '${icu}'` : ""}`,
  );
  const databaseUrl = withDatabase(POSTGRES_URL, name);
  const handle = openPostgres({ url: databaseUrl, poolSize: 4 });
  if (migrate) await migrateToLatest(handle);
  return {
    handle,
    location: { databaseUrl },
    drop: async () => {
      await handle.close();
      await dropDatabase(name);
    },
  };
}
