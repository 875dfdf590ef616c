/**
 * The databases every storage-touching suite runs on. SQLite always; PostgreSQL when
 * ESCROW_TEST_POSTGRES_URL names a server (the CI script sets it), each test in a database of
 * its own, created here and dropped after.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openPostgres, openSqlite, type DatabaseHandle } from "../../src/storage/database.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { migrateToLatest } from "../../src/storage/migrate.js";

export const POSTGRES_URL = process.env.ESCROW_TEST_POSTGRES_URL;

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

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(dialect: Dialect, migrate = true): Promise<TestDatabase> {
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
  if (!POSTGRES_URL) throw new Error("ESCROW_TEST_POSTGRES_URL is not set");
  const name = `escrow_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create database ${name}`);
  const databaseUrl = withDatabase(POSTGRES_URL, name);
  const handle = openPostgres({ url: databaseUrl, poolSize: 4 });
  if (migrate) await migrateToLatest(handle);
  return {
    handle,
    location: { databaseUrl },
    drop: async () => {
      await handle.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}
