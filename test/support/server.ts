/**
 * A real server (createApp: the same composition as `npm start`) on a fresh test database, driven
 * with Fastify's inject. The test clock is on, password hashing is at test cost.
 */
import pino from "pino";
import { loadConfig, type Config } from "../../src/config.js";
import { createApp, type RunningApp } from "../../src/main.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { verifyLedger } from "../../src/storage/verify-ledger.js";
import { createTestDatabase, type TestDatabase } from "./dialects.js";

export interface ApiAnswer<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly text: string;
}

export interface RequestOptions {
  readonly token?: string | undefined;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Sends this exact text as the body (for malformed JSON). */
  readonly raw?: string;
}

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly token: string;
}

export interface TestServer {
  readonly app: RunningApp;
  readonly database: TestDatabase;
  request<T = any>(method: string, url: string, options?: RequestOptions): Promise<ApiAnswer<T>>;
  /** Signs up a user; with `card` (default tok_visa) also adds a payment method. */
  signUp(name: string, options?: { card?: string | null }): Promise<TestUser>;
  /** A staff user (made through ESCROW_BOOTSTRAP_STAFF's code path). */
  staff(): Promise<TestUser>;
  advanceDays(days: number): Promise<void>;
  violations(): Promise<unknown[]>;
  close(): Promise<void>;
}

let counter = 0;

export function testConfig(
  location: TestDatabase["location"],
  env: Record<string, string> = {},
): Config {
  return loadConfig({
    ESCROW_TEST_CLOCK: "1",
    ESCROW_INSECURE_FAST_PASSWORD_HASH: "1",
    ESCROW_NO_SWEEP: "1",
    // The suites sign up hundreds of users from the one injected address, as a marketplace's
    // back end would from its own; the limit's own tests set one.
    ESCROW_SIGNUP_LIMIT: "0",
    ...(location.dataDir ? { ESCROW_DATA_DIR: location.dataDir } : {}),
    ...(location.databaseUrl ? { DATABASE_URL: location.databaseUrl } : {}),
    ...env,
  });
}

export async function createTestServer(
  dialect: Dialect = "sqlite",
  env: Record<string, string> = {},
): Promise<TestServer> {
  const database = await createTestDatabase(dialect);
  const config = testConfig(database.location, env);
  const app = await createApp(config, pino({ level: "silent" }));
  const inject = app.server.app;

  const request: TestServer["request"] = async (method, url, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers["content-type"] ??= "application/json";
    const response = await inject.inject({
      method: method as "GET",
      url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    const text = response.body;
    let body: unknown = text;
    if ((response.headers["content-type"] ?? "").toString().includes("json") && text.length > 0)
      body = JSON.parse(text);
    return { status: response.statusCode, body: body as never, headers: response.headers, text };
  };

  const server: TestServer = {
    app,
    database,
    request,
    async signUp(name, options = {}) {
      const email = `${name.toLowerCase()}.${++counter}.${Date.now()}@example.test`;
      const answer = await request("POST", "/v1/auth/signup", {
        body: { email, password: "correct horse battery", name },
      });
      if (answer.status !== 201) throw new Error(`signup failed: ${answer.text}`);
      const user: TestUser = { id: answer.body.user.id, email, name, token: answer.body.token };
      const card = options.card === undefined ? "tok_visa" : options.card;
      if (card) {
        const added = await request("POST", "/v1/payment-methods", {
          token: user.token,
          body: { token: card },
        });
        if (added.status !== 201) throw new Error(`payment method failed: ${added.text}`);
      }
      return user;
    },
    async staff() {
      const email = `staff.${++counter}.${Date.now()}@example.test`;
      const password = "staff password 1";
      await app.services.accounts.ensureStaff(email, password);
      const login = await request("POST", "/v1/auth/login", { body: { email, password } });
      return { id: login.body.user.id, email, name: "Dispute team", token: login.body.token };
    },
    async advanceDays(days) {
      const answer = await request("POST", "/v1/test-clock/advance", {
        body: { seconds: Math.round(days * 86400) },
      });
      if (answer.status !== 200) throw new Error(`advance failed: ${answer.text}`);
    },
    violations: () => verifyLedger(database.handle.db),
    async close() {
      await app.close();
      await database.drop();
    },
  };
  return server;
}

/** Makes an offer from `client` to `freelancer` and returns the contract. */
export async function offer(
  server: TestServer,
  client: TestUser,
  freelancer: TestUser,
  amounts: number[] = [10_000, 20_000],
  currency = "USD",
) {
  const answer = await server.request("POST", "/v1/contracts", {
    token: client.token,
    body: {
      freelancerEmail: freelancer.email,
      title: "Logo and website",
      description: "A new brand",
      currency,
      milestones: amounts.map((amount, i) => ({
        title: `Milestone ${i + 1}`,
        amount,
        description: `Deliverable ${i + 1}`,
      })),
    },
  });
  if (answer.status !== 201) throw new Error(`offer failed: ${answer.text}`);
  return answer.body;
}
