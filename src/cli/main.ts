#!/usr/bin/env node
/**
 * The `escrow` command: serve (the default of `npm start`), worker, migrate, create-staff,
 * verify-ledger, backup and demo.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, type Config } from "../config.js";
import {
  checkDurability,
  createApp,
  createLogger,
  openDatabase,
  sqliteFile,
  StartupError,
} from "../main.js";
import { Accounts } from "../auth/accounts.js";
import { RateLimiter } from "../auth/rate-limit.js";
import { Sessions } from "../auth/sessions.js";
import { UlidGenerator } from "../infra/ids.js";
import { backupSqlite, BackupError } from "../storage/backup.js";
import { migrateToLatest, SchemaMismatchError } from "../storage/migrate.js";
import { verifyLedger } from "../storage/verify-ledger.js";
import { runDemo } from "./demo.js";

const HELP = `escrow: milestone escrow for fixed-price work

Usage: escrow <command> [options]

Commands:
  serve                 start the HTTP API and web app on PORT (default 3000); runs the timed
                        rules and notifications inside the server unless ESCROW_NO_SWEEP=1
  worker                run only the timed rules (R14, R18) and the notification dispatcher,
                        for deployments that keep them apart
  migrate               apply database migrations and exit
  create-staff          create a staff account (dispute team): --email E --password P [--name N]
  verify-ledger         check every ledger invariant; exits 1 if any is broken
  backup FILE           write a consistent, checked copy of the embedded database to FILE while
                        servers keep running (SQLite; on PostgreSQL use pg_dump); never over an
                        existing FILE; exits 1 if the backup fails or the copy's ledger breaks
                        an invariant (that copy is kept)
  demo                  play one whole contract on a fresh temporary database and print it
  help                  show this text

The database is SQLite under ESCROW_DATA_DIR (default ./data) unless DATABASE_URL is a
postgres:// URL. Every environment variable is listed in README.md.`;

async function withDatabase<T>(
  config: Config,
  fn: (handle: ReturnType<typeof openDatabase>) => Promise<T>,
): Promise<T> {
  const handle = openDatabase(config);
  try {
    await checkDurability(handle);
    await migrateToLatest(handle);
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config);
  const app = await createApp(config, logger);
  if (config.sweepInServer) {
    app.sweeper.start();
    app.dispatcher.start();
  }
  await app.server.app.listen({ port: config.port, host: config.host });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

async function worker(config: Config): Promise<void> {
  const logger = createLogger(config);
  const app = await createApp(config, logger);
  app.sweeper.start();
  app.dispatcher.start();
  logger.info(
    { intervalMs: config.sweepIntervalMs, dispatchIntervalMs: config.dispatchIntervalMs },
    "worker running the timed rules and the notification dispatcher",
  );
  const stop = () => void app.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function createStaff(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } },
  });
  if (!values.email || !values.password || values.password.length < 8) {
    throw new ConfigError("create-staff needs --email and --password (8 characters or more)");
  }
  await withDatabase(config, async ({ db }) => {
    const ids = new UlidGenerator();
    const sessions = new Sessions(db, ids, { idleHours: 1, maxHours: 1 });
    const accounts = new Accounts(
      db,
      ids,
      sessions,
      new RateLimiter(db),
      config.scryptLogN,
      Date.now,
    );
    const user = await accounts.ensureStaff(values.email!, values.password!, values.name);
    console.log(`staff account ready: ${user.email} (${user.id})`);
  });
}

async function backup(config: Config, args: string[]): Promise<number> {
  if (config.databaseUrl) {
    console.error(
      "escrow: backup copies the embedded SQLite database; back PostgreSQL up with pg_dump or continuous archiving",
    );
    return 2;
  }
  const { positionals } = parseArgs({ args, allowPositionals: true });
  if (positionals.length !== 1) {
    console.error("Usage: escrow backup FILE");
    return 2;
  }
  const result = await backupSqlite(sqliteFile(config), positionals[0]!);
  const mib = (result.bytes / 1024 / 1024).toFixed(1);
  console.log(
    `backup written: ${result.file} (${mib} MiB, ${result.contracts} contracts, ${result.journalEntries} journal entries) in ${result.seconds.toFixed(1)} s`,
  );
  for (const v of result.violations) console.log(`${v.kind}: ${v.detail}`);
  console.log(
    result.violations.length === 0
      ? "integrity ok, ledger ok"
      : `integrity ok, ${result.violations.length} ledger violations (the copy holds them as the database did)`,
  );
  return result.violations.length === 0 ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") {
    console.log(HELP);
    return 0;
  }
  if (command === "demo") return (await runDemo()) ? 0 : 1;
  const config = loadConfig();
  switch (command) {
    case "serve":
      await serve(config);
      return -1;
    case "worker":
      await worker(config);
      return -1;
    case "migrate":
      await withDatabase(config, () => Promise.resolve());
      console.log("database is up to date");
      return 0;
    case "create-staff":
      await createStaff(config, rest);
      return 0;
    case "verify-ledger": {
      const violations = await withDatabase(config, ({ db }) => verifyLedger(db));
      for (const v of violations) console.log(`${v.kind}: ${v.detail}`);
      console.log(violations.length === 0 ? "ledger ok" : `${violations.length} violations`);
      return violations.length === 0 ? 0 : 1;
    }
    case "backup":
      return backup(config, rest);
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    const known =
      error instanceof ConfigError ||
      error instanceof BackupError ||
      error instanceof StartupError ||
      error instanceof SchemaMismatchError;
    console.error(known ? `escrow: ${error.message}` : error);
    process.exit(1);
  },
);
