/**
 * In-process application for seeding and for capturing the exact SQL of one request: the same
 * createApp the server runs, driven with Fastify's inject (no sockets).
 */
import pino from "pino";
import { loadConfig } from "../../src/config.js";
import { createApp, type RunningApp } from "../../src/main.js";

export interface DbLocation {
  readonly dataDir?: string;
  readonly databaseUrl?: string;
}

export function serverEnv(location: DbLocation, extra: Record<string, string> = {}) {
  const env: Record<string, string> = {
    LOG_LEVEL: "warn",
    ESCROW_INSECURE_FAST_PASSWORD_HASH: "1",
    ESCROW_SESSION_IDLE_HOURS: String(24 * 60),
    ESCROW_SESSION_MAX_HOURS: String(24 * 90),
    // The seed signs thousands of users up from one address, as a marketplace's back end would.
    ESCROW_SIGNUP_LIMIT: "0",
    ...extra,
  };
  if (location.databaseUrl) env.DATABASE_URL = location.databaseUrl;
  if (location.dataDir) env.ESCROW_DATA_DIR = location.dataDir;
  return env;
}

export async function openApp(location: DbLocation, extra: Record<string, string> = {}) {
  const env = { PATH: process.env.PATH ?? "", ...serverEnv(location, extra), PORT: "0" };
  return createApp(loadConfig(env), pino({ level: "silent" }));
}

export interface Answer {
  readonly status: number;
  readonly body: any;
}

export async function call(
  app: RunningApp,
  method: "GET" | "POST",
  url: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const all: Record<string, string> = { ...headers };
  if (token) all.authorization = `Bearer ${token}`;
  if (body !== undefined) all["content-type"] = "application/json";
  const response = await app.server.app.inject({
    method,
    url,
    headers: all,
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  const text = response.body;
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // CSV or text
  }
  return { status: response.statusCode, body: parsed };
}

export async function must(answer: Promise<Answer>, expected: number, what: string) {
  const got = await answer;
  if (got.status !== expected) {
    throw new Error(`${what}: expected ${expected}, got ${got.status} ${JSON.stringify(got.body)}`);
  }
  return got.body;
}
