/**
 * Configuration from environment variables, checked at start: a bad value stops the server with
 * a message naming the variable. README.md lists every variable with its default.
 */
import path from "node:path";
import { isIP } from "node:net";

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly databasePoolSize: number;
  /** PostgreSQL: run repeated statements as named prepared statements. */
  readonly databasePreparedStatements: boolean;
  readonly reviewWindowDays: number;
  readonly refundWindowDays: number;
  readonly testClock: boolean;
  readonly bootstrapStaff: { email: string; password: string } | null;
  readonly sweepIntervalMs: number;
  readonly sweepInServer: boolean;
  readonly scryptLogN: number;
  readonly sessionIdleHours: number;
  readonly sessionMaxHours: number;
  /** Sign-ups accepted per client address per hour (0: no limit). */
  readonly signupsPerHour: number;
  readonly publicUrl: string;
  readonly logLevel: string;
  readonly bodyLimitBytes: number;
  /**
   * Which proxies in front of the server to believe about the client's address
   * (`X-Forwarded-For`): none, the nearest N hops, or those at the listed addresses.
   */
  readonly trustProxy: false | number | readonly string[];
  /** Migrate the database at start (default); off for fleets that run `escrow migrate` first. */
  readonly autoMigrate: boolean;
  /** Notifications (docs/NOTIFICATIONS.md): SMTP server, sender, dispatcher poll, webhook SSRF guard. */
  readonly smtpUrl: string | null;
  readonly mailFrom: string;
  readonly dispatchIntervalMs: number;
  readonly webhooksAllowPrivate: boolean;
  /** Days finished email and webhook deliveries are kept (0: for ever). */
  readonly deliveryRetentionDays: number;
}

export class ConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** A 1/0 setting; `unset` is its value when the variable is not set at all. */
function flag(env: Env, name: string, unset = false): boolean {
  const raw = env[name];
  if (raw === undefined) return unset;
  if (raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}"`);
}

function staff(env: Env): Config["bootstrapStaff"] {
  const raw = env.ESCROW_BOOTSTRAP_STAFF;
  if (!raw) return null;
  const at = raw.indexOf(":");
  const email = raw.slice(0, at).trim().toLowerCase();
  const password = raw.slice(at + 1);
  if (at < 0 || !email.includes("@") || password.length < 8) {
    throw new ConfigError(
      "ESCROW_BOOTSTRAP_STAFF must be email:password with a password of 8 or more characters",
    );
  }
  return { email, password };
}

function databaseUrl(env: Env): string | null {
  const raw = env.DATABASE_URL;
  if (!raw) return null;
  if (!/^postgres(ql)?:\/\//.test(raw)) {
    throw new ConfigError(
      "DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite database)",
    );
  }
  return raw;
}

function publicUrl(env: Env, port: number): string {
  const raw = env.ESCROW_PUBLIC_URL ?? `http://localhost:${port}`;
  try {
    const url = new URL(raw);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
  } catch {
    throw new ConfigError(`ESCROW_PUBLIC_URL must be an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/$/, "");
}

function smtpUrl(env: Env): string | null {
  const raw = env.SMTP_URL;
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (url.protocol !== "smtp:" && url.protocol !== "smtps:") throw new Error();
  } catch {
    throw new ConfigError(`SMTP_URL must be an smtp:// or smtps:// URL, got "${raw}"`);
  }
  return raw;
}

/**
 * ESCROW_TRUST_PROXY: unset or 0, none; a whole number, that many proxies in front; or a comma
 * separated list of proxy addresses and CIDR ranges. The login throttle counts failures per
 * client address, which behind a proxy is the proxy's own unless it is trusted; a client that
 * is not behind a trusted proxy cannot choose its address with the header.
 */
function trustProxy(env: Env): false | number | readonly string[] {
  const raw = env.ESCROW_TRUST_PROXY?.trim();
  if (!raw || raw === "0") return false;
  if (/^\d+$/.test(raw)) return integer(env, "ESCROW_TRUST_PROXY", 0, 0, 10);
  const entries = raw.split(",").map((entry) => entry.trim());
  for (const entry of entries) {
    const [address = "", bits, ...rest] = entry.split("/");
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const badBits = bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > max);
    if (family === 0 || badBits || rest.length > 0) {
      throw new ConfigError(
        `ESCROW_TRUST_PROXY must be 0, a number of proxies (1 to 10) or a comma-separated list of addresses and CIDR ranges, got "${raw}"`,
      );
    }
  }
  return entries;
}

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, "PORT", 3000, 0, 65535);
  const testClock = flag(env, "ESCROW_TEST_CLOCK");
  if (testClock && env.NODE_ENV === "production") {
    throw new ConfigError(
      "ESCROW_TEST_CLOCK=1 is refused with NODE_ENV=production: the test clock lets anyone move time",
    );
  }
  const insecureHash = flag(env, "ESCROW_INSECURE_FAST_PASSWORD_HASH");
  const scryptLogN = insecureHash ? 10 : 17;
  return {
    port,
    host: env.HOST ?? "0.0.0.0",
    dataDir: path.resolve(env.ESCROW_DATA_DIR ?? "./data"),
    databaseUrl: databaseUrl(env),
    databasePoolSize: integer(env, "DATABASE_POOL_SIZE", 8, 1, 200),
    databasePreparedStatements: flag(env, "DATABASE_PREPARED_STATEMENTS", true),
    reviewWindowDays: integer(env, "ESCROW_REVIEW_WINDOW_DAYS", 14, 1, 365),
    refundWindowDays: integer(env, "ESCROW_REFUND_WINDOW_DAYS", 7, 1, 365),
    testClock,
    bootstrapStaff: staff(env),
    sweepIntervalMs: integer(env, "ESCROW_SWEEP_INTERVAL_MS", 5000, 100, 3_600_000),
    sweepInServer: !flag(env, "ESCROW_NO_SWEEP"),
    scryptLogN,
    sessionIdleHours: integer(env, "ESCROW_SESSION_IDLE_HOURS", 24 * 7, 1, 24 * 365),
    sessionMaxHours: integer(env, "ESCROW_SESSION_MAX_HOURS", 24 * 30, 1, 24 * 365),
    signupsPerHour: integer(env, "ESCROW_SIGNUP_LIMIT", 20, 0, 1_000_000),
    publicUrl: publicUrl(env, port),
    logLevel: env.LOG_LEVEL ?? "info",
    bodyLimitBytes: integer(env, "ESCROW_BODY_LIMIT_BYTES", 256 * 1024, 1024, 16 * 1024 * 1024),
    trustProxy: trustProxy(env),
    autoMigrate: flag(env, "ESCROW_AUTO_MIGRATE", true),
    smtpUrl: smtpUrl(env),
    mailFrom: env.ESCROW_MAIL_FROM || "no-reply@localhost",
    dispatchIntervalMs: integer(env, "ESCROW_DISPATCH_INTERVAL_MS", 1000, 50, 3_600_000),
    webhooksAllowPrivate: flag(env, "ESCROW_WEBHOOKS_ALLOW_PRIVATE"),
    deliveryRetentionDays: integer(env, "ESCROW_DELIVERY_RETENTION_DAYS", 30, 0, 36_500),
  };
}
