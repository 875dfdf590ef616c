/** Start-up refuses what could lose money or misread the schema, with a message naming it. */
import { sql } from "kysely";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { checkDurability, createApp } from "../../src/main.js";
import { openPostgres, openSqlite } from "../../src/storage/database.js";
import { migrateToLatest } from "../../src/storage/migrate.js";
import { adminQuery, createTestDatabase, DIALECTS, POSTGRES_URL } from "../support/dialects.js";
import { testConfig } from "../support/server.js";

const quiet = pino({ level: "silent" });

describe("configuration", () => {
  it.each([
    ["PORT", "seventy"],
    ["ESCROW_REVIEW_WINDOW_DAYS", "0"],
    ["ESCROW_REFUND_WINDOW_DAYS", "1.5"],
    ["DATABASE_URL", "mysql://x"],
    ["ESCROW_BOOTSTRAP_STAFF", "no-colon"],
    ["ESCROW_TEST_CLOCK", "yes"],
    ["ESCROW_PUBLIC_URL", "ftp://x"],
    ["ESCROW_SIGNUP_LIMIT", "-1"],
    ["ESCROW_DELIVERY_RETENTION_DAYS", "a month"],
  ])("R25: a bad %s stops the start with a message naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("R23: the test clock is refused in production, even when asked for", () => {
    expect(() => loadConfig({ ESCROW_TEST_CLOCK: "1", NODE_ENV: "production" })).toThrow(
      /ESCROW_TEST_CLOCK/,
    );
  });

  it("R25: the windows default to 14 and 7 days and follow the deployment's settings", () => {
    expect(loadConfig({})).toMatchObject({
      reviewWindowDays: 14,
      refundWindowDays: 7,
      port: 3000,
      testClock: false,
      signupsPerHour: 20,
      deliveryRetentionDays: 30,
    });
    expect(
      loadConfig({ ESCROW_REVIEW_WINDOW_DAYS: "10", ESCROW_REFUND_WINDOW_DAYS: "3" }),
    ).toMatchObject({
      reviewWindowDays: 10,
      refundWindowDays: 3,
    });
  });
});

describe.each(DIALECTS)("start-up checks (%s)", (dialect) => {
  it("R4: a server refuses a database migrated by a newer build", async () => {
    const database = await createTestDatabase(dialect);
    try {
      await sql`insert into schema_migrations (name, timestamp) values ('9999-from-the-future', '2030-01-01')`.execute(
        database.handle.db,
      );
      await expect(createApp(testConfig(database.location), quiet)).rejects.toThrow(
        /newer than this server/,
      );
    } finally {
      await database.drop();
    }
  });

  it("R4: with ESCROW_AUTO_MIGRATE=0 a server refuses an older schema and says to migrate", async () => {
    const database = await createTestDatabase(dialect, false);
    try {
      await expect(
        createApp(testConfig(database.location, { ESCROW_AUTO_MIGRATE: "0" }), quiet),
      ).rejects.toThrow(/escrow migrate/);
      const app = await createApp(testConfig(database.location), quiet);
      await app.close();
      const again = await createApp(
        testConfig(database.location, { ESCROW_AUTO_MIGRATE: "0" }),
        quiet,
      );
      await again.close();
    } finally {
      await database.drop();
    }
  });

  it("R4: a database whose escrow postings index has 0006's first range condition gets the prefix condition the ledger check reads by", async () => {
    const database = await createTestDatabase(dialect);
    const db = database.handle.db;
    const definition = async () =>
      (dialect === "sqlite"
        ? await sql<{
            d: string;
          }>`select sql as d from sqlite_master where name = 'postings_escrow'`.execute(db)
        : await sql<{
            d: string;
          }>`select indexdef as d from pg_indexes where indexname = 'postings_escrow'`.execute(db)
      ).rows[0]?.d;
    try {
      const current = await definition();
      expect(current).toMatch(/substr\(/i);
      // As a database migrated by the first version of 0006 has it, before 0007.
      await sql`drop index postings_escrow`.execute(db);
      await sql`create index postings_escrow on postings (account, entry_id) where account >= 'escrow:' and account < 'escrow;'`.execute(
        db,
      );
      // Migrations run in order: 0007 again means every later one again too.
      await sql`delete from schema_migrations where name >= '0007'`.execute(db);
      expect(await definition()).not.toMatch(/substr\(/i);
      expect(await migrateToLatest(database.handle)).toEqual([
        "0007-escrow-postings-condition",
        "0008-staff-index",
        "0009-password-resets",
      ]);
      expect(await definition()).toBe(current);
    } finally {
      await database.drop();
    }
  });
});

describe("durability", () => {
  it("R4: SQLite with synchronous=OFF is refused (NORMAL passes only because the WAL is synced after every commit)", async () => {
    const database = await createTestDatabase("sqlite");
    try {
      expect(database.handle.wal).toBeDefined();
      await expect(checkDurability(database.handle)).resolves.toBeUndefined();
      await sql`pragma synchronous = OFF`.execute(database.handle.db);
      await expect(checkDurability(database.handle)).rejects.toThrow(
        /synchronous must be NORMAL or FULL/,
      );
    } finally {
      await database.drop();
    }
  });

  it("R4: in-memory SQLite (no WAL to sync) below synchronous=FULL is refused", async () => {
    const handle = openSqlite({ file: ":memory:" });
    try {
      await expect(checkDurability(handle)).resolves.toBeUndefined();
      await sql`pragma synchronous = NORMAL`.execute(handle.db);
      await expect(checkDurability(handle)).rejects.toThrow(/synchronous must be FULL/);
    } finally {
      await handle.close();
    }
  });

  it.runIf(POSTGRES_URL !== undefined)(
    "R4: PostgreSQL with synchronous_commit off is refused",
    async () => {
      const database = await createTestDatabase("postgres");
      const url = database.location.databaseUrl!;
      const name = new URL(url).pathname.slice(1);
      try {
        await adminQuery(`alter database ${name} set synchronous_commit = off`);
        const handle = openPostgres({ url, poolSize: 1 });
        try {
          await expect(checkDurability(handle)).rejects.toThrow(/synchronous_commit is off/);
        } finally {
          await handle.close();
        }
      } finally {
        await database.drop();
      }
    },
  );
});
