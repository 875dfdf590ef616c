/**
 * The composition root: config -> database -> app services -> HTTP server and sweeper. The only
 * module that knows every layer.
 */
import path from "node:path";
import { sql } from "kysely";
import pino, { type Logger } from "pino";
import type { Clock, Deps } from "./app/ports.js";
import { DAY_MS } from "./domain/types.js";
import { Accounts } from "./auth/accounts.js";
import { PasswordResets } from "./auth/password-resets.js";
import { LONGEST_WINDOW_MS, RateLimiter } from "./auth/rate-limit.js";
import { Sessions } from "./auth/sessions.js";
import type { Config } from "./config.js";
import { buildServer, type BuiltServer, type ServerOptions } from "./http/build-server.js";
import type { Services, TestClockControl } from "./http/services.js";
import { webApp, webAppBuilt } from "./http/web-app.js";
import { UlidGenerator } from "./infra/ids.js";
import { SystemClock } from "./infra/system-clock.js";
import { SandboxPaymentProvider } from "./payments/sandbox.js";
import { PARALLEL_CONTRACTS } from "./app/run-due-rules.js";
import { Sweeper } from "./scheduler/sweeper.js";
import { Dispatcher } from "./notify/dispatcher.js";
import { createMailer } from "./notify/mailer.js";
import { NotificationStore } from "./storage/notifications.js";
import { WebhookSender } from "./webhooks/sender.js";
import { openPostgres, openSqlite, type DatabaseHandle } from "./storage/database.js";
import { SqlDueRules } from "./storage/due-rules.js";
import { purgeExpiredIdempotencyKeys } from "./storage/idempotency.js";
import { IDEMPOTENCY_RETENTION_MS } from "./app/run-command.js";
import { Lists } from "./storage/lists.js";
import { migrateToLatest, requireCurrentSchema } from "./storage/migrate.js";
import { partiesOf } from "./storage/parties.js";
import { ReadModel } from "./storage/read-model.js";
import { ReportQueries } from "./storage/report.js";
import { SqlStore } from "./storage/sql-store.js";
import type { SqlTx } from "./storage/sql-tx.js";
import { DatabaseTestClock } from "./storage/test-clock.js";

export class StartupError extends Error {}

/** The embedded database's file under ESCROW_DATA_DIR. */
export function sqliteFile(config: Config): string {
  return path.join(config.dataDir, "escrow.sqlite");
}

export function openDatabase(config: Config): DatabaseHandle {
  return config.databaseUrl
    ? openPostgres({
        url: config.databaseUrl,
        poolSize: config.databasePoolSize,
        preparedStatements: config.databasePreparedStatements,
      })
    : openSqlite({ file: sqliteFile(config) });
}

/** Refuses settings that could lose an acknowledged money movement. */
export async function checkDurability(handle: DatabaseHandle): Promise<void> {
  if (handle.dialect === "sqlite") {
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(handle.db);
    // NORMAL is as durable as FULL when the WAL is synced after every commit (WalSync).
    const required = handle.wal ? 1 : 2;
    if ((rows[0]?.synchronous ?? 0) < required) {
      throw new StartupError(
        handle.wal
          ? "SQLite synchronous must be NORMAL or FULL: OFF can lose acknowledged payments"
          : "SQLite synchronous must be FULL: a lower setting can lose acknowledged payments",
      );
    }
    return;
  }
  for (const setting of ["fsync", "synchronous_commit"]) {
    const { rows } = await sql<{
      value: string;
    }>`select current_setting(${setting}) as value`.execute(handle.db);
    if (rows[0]?.value === "off") {
      throw new StartupError(
        `PostgreSQL ${setting} is off: acknowledged payments could be lost; turn it on`,
      );
    }
  }
}

export interface RunningApp {
  readonly server: BuiltServer;
  readonly services: Services;
  readonly sweeper: Sweeper;
  /** Notifications, emails and webhooks from the outbox (docs/NOTIFICATIONS.md). */
  readonly dispatcher: Dispatcher;
  readonly handle: DatabaseHandle;
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel });
}

/** Opens, checks and migrates the database, then builds the services and the server. */
export async function createApp(
  config: Config,
  logger: Logger,
  options: ServerOptions = {},
): Promise<RunningApp> {
  const handle = openDatabase(config);
  try {
    await checkDurability(handle);
    if (config.autoMigrate) {
      const applied = await migrateToLatest(handle);
      if (applied.length > 0) logger.info({ applied }, "database migrated");
    } else {
      await requireCurrentSchema(handle);
    }
    return await assemble(config, logger, handle, options);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function assemble(
  config: Config,
  logger: Logger,
  handle: DatabaseHandle,
  options: ServerOptions,
): Promise<RunningApp> {
  const { db, readDb } = handle;
  const ids = new UlidGenerator();
  const testClock = config.testClock ? new DatabaseTestClock(db, Date.now, readDb) : null;
  if (testClock) {
    logger.warn(
      "ESCROW_TEST_CLOCK=1: time is moved only by POST /v1/test-clock/advance. Never use this in production.",
    );
  }
  const clock: Clock = testClock ?? new SystemClock();
  const store = new SqlStore(handle);
  const deps: Deps = {
    store,
    clock,
    ids,
    payments: new SandboxPaymentProvider(),
    settings: {
      reviewWindowDays: config.reviewWindowDays,
      refundWindowDays: config.refundWindowDays,
    },
  };
  const wallClock = () => Date.now();
  const sessions = new Sessions(
    db,
    ids,
    { idleHours: config.sessionIdleHours, maxHours: config.sessionMaxHours },
    readDb,
  );
  const rateLimiter = new RateLimiter(db);
  const accounts = new Accounts(
    db,
    ids,
    sessions,
    rateLimiter,
    config.scryptLogN,
    wallClock,
    config.signupsPerHour,
  );
  if (config.bootstrapStaff) {
    const staff = await accounts.ensureStaff(
      config.bootstrapStaff.email,
      config.bootstrapStaff.password,
    );
    logger.info({ email: staff.email }, "staff account ready");
  }
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom }, logger);
  const passwordResets = new PasswordResets(
    db,
    handle.dialect,
    sessions,
    rateLimiter,
    mailer,
    { publicUrl: config.publicUrl, scryptLogN: config.scryptLogN },
    logger,
    wallClock,
  );
  const notifications = new NotificationStore(handle, ids, store.groupCommit);
  const sweeper = new Sweeper(
    deps,
    new SqlDueRules(readDb),
    config.sweepIntervalMs,
    logger,
    // Records kept for a while only. The idempotency keys' 24 hours run on the rules' clock;
    // throttling windows and delivery logs on real time, as their ids and windows are made.
    async (now) => {
      await purgeExpiredIdempotencyKeys(db, now - IDEMPOTENCY_RETENTION_MS);
      const wall = wallClock();
      await rateLimiter.purgeEnded(wall - LONGEST_WINDOW_MS);
      await passwordResets.purgeExpired(wall);
      if (config.deliveryRetentionDays > 0)
        await notifications.purgeFinished(wall - config.deliveryRetentionDays * DAY_MS);
    },
    PARALLEL_CONTRACTS[handle.dialect],
  );
  const dispatcher = new Dispatcher(
    notifications,
    clock,
    mailer,
    new WebhookSender({ allowPrivate: config.webhooksAllowPrivate, wallClock }),
    { intervalMs: config.dispatchIntervalMs, publicUrl: config.publicUrl },
    logger,
  );
  const readModel = new ReadModel(readDb);
  const control: TestClockControl | null = testClock && {
    now: () => testClock.now(),
    advance: async (seconds) => {
      const now = await testClock.advance(seconds);
      await sweeper.sweepNow();
      // Notifications of what the rules did, and deliveries whose retry fell due, go out too.
      await dispatcher.runOnce();
      return now;
    },
  };
  const services: Services = {
    deps,
    config,
    readModel,
    readModelIn: (tx) => new ReadModel((tx as SqlTx).db),
    lists: new Lists(readDb, readModel),
    report: new ReportQueries(readDb),
    accounts,
    passwordResets,
    sessions,
    rateLimiter,
    parties: (resource, id) => partiesOf(readDb, resource, id),
    ownerOf: (resource, id) => notifications.ownerOf(resource, id),
    notifications,
    dispatcher,
    testClock: control,
    wallClock,
    ready: async () => {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
  };
  const server = await buildServer(services, {
    logger: options.logger ?? logger,
    // The web app, when built (npm run build:web): served at / beside the API.
    plugins: options.plugins ?? (webAppBuilt() ? [webApp] : undefined),
  });
  return {
    server,
    services,
    sweeper,
    dispatcher,
    handle,
    close: async () => {
      await sweeper.stop();
      await dispatcher.stop();
      await server.app.close();
      await handle.close();
    },
  };
}
