/**
 * Versioned migrations, run at start-up and by the `migrate` command. A server refuses a
 * database whose schema is newer than it understands.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from "kysely";
import type { DatabaseHandle } from "./database.js";
import * as initial from "./migrations/0001-initial.js";
import * as notifications from "./migrations/0002-notifications.js";
import * as deliveriesDueOrder from "./migrations/0003-deliveries-due-order.js";
import * as webhookDeliveriesIndex from "./migrations/0004-webhook-deliveries-index.js";
import * as dueRulesOrder from "./migrations/0005-due-rules-order.js";
import * as escrowPostingsIndex from "./migrations/0006-escrow-postings-index.js";
import * as escrowPostingsCondition from "./migrations/0007-escrow-postings-condition.js";
import * as staffIndex from "./migrations/0008-staff-index.js";
import * as passwordResets from "./migrations/0009-password-resets.js";
import type { Dialect } from "./dialect.js";

type DialectMigration = { up(db: Kysely<unknown>, dialect: Dialect): Promise<void> };

const MIGRATIONS: Record<string, DialectMigration> = {
  "0001-initial": initial,
  "0002-notifications": notifications,
  "0003-deliveries-due-order": deliveriesDueOrder,
  "0004-webhook-deliveries-index": webhookDeliveriesIndex,
  "0005-due-rules-order": dueRulesOrder,
  "0006-escrow-postings-index": escrowPostingsIndex,
  "0007-escrow-postings-condition": escrowPostingsCondition,
  "0008-staff-index": staffIndex,
  "0009-password-resets": passwordResets,
};

export const SCHEMA_VERSION = Object.keys(MIGRATIONS).length;

class CodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  getMigrations(): Promise<Record<string, Migration>> {
    const entries = Object.entries(MIGRATIONS).map(([name, m]) => [
      name,
      { up: (db: Kysely<unknown>) => m.up(db, this.dialect) },
    ]);
    return Promise.resolve(Object.fromEntries(entries) as Record<string, Migration>);
  }
}

function migrator(handle: DatabaseHandle): Migrator {
  return new Migrator({
    db: handle.db,
    provider: new CodeMigrations(handle.dialect),
    migrationTableName: "schema_migrations",
    migrationLockTableName: "schema_migrations_lock",
  });
}

export class SchemaMismatchError extends Error {}

async function refuseNewer(handle: DatabaseHandle): Promise<string[]> {
  const known = new Set(Object.keys(MIGRATIONS));
  const executedNames = await executedMigrationNames(handle);
  const unknown = executedNames.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SchemaMismatchError(
      `the database schema is newer than this server understands (unknown migrations: ${unknown.join(", ")}); upgrade the server`,
    );
  }
  return executedNames;
}

/**
 * For fleets that migrate as a separate step (ESCROW_AUTO_MIGRATE=0): refuses a schema older or
 * newer than this build, naming what to do.
 */
export async function requireCurrentSchema(handle: DatabaseHandle): Promise<void> {
  const executed = new Set(await refuseNewer(handle));
  const pending = Object.keys(MIGRATIONS).filter((name) => !executed.has(name));
  if (pending.length > 0) {
    throw new SchemaMismatchError(
      `the database schema is older than this server (pending migrations: ${pending.join(", ")}); run "escrow migrate" first`,
    );
  }
}

/** Applies every migration this build knows; refuses a database migrated by a newer build. */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const m = migrator(handle);
  await refuseNewer(handle);
  const { error, results } = await m.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error("migration failed");
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

async function executedMigrationNames(handle: DatabaseHandle): Promise<string[]> {
  const tables = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === "schema_migrations")) return [];
  const rows = await (handle.db as unknown as Kysely<{ schema_migrations: { name: string } }>)
    .selectFrom("schema_migrations")
    .select("name")
    .execute();
  return rows.map((r) => r.name);
}
