/**
 * Records kept for a while only: finished email and webhook deliveries past
 * ESCROW_DELIVERY_RETENTION_DAYS, and login and sign-up counts whose window has ended, are
 * deleted by the sweep's housekeeping; pending deliveries and live counts stay.
 */
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { UlidGenerator } from "../../src/infra/ids.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, offer, type TestServer } from "../support/server.js";
import { loginFrom } from "../http/http-helpers.js";
import { startReceiver, type WebhookReceiver } from "./support.js";

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(DIALECTS)("retention (%s)", (dialect) => {
  let server: TestServer | undefined;
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await server?.close();
    await receiver?.close();
    server = undefined;
    receiver = undefined;
  });

  const deliveries = async (s: TestServer) =>
    (
      await sql<{
        id: string;
        status: string;
      }>`select id, status from deliveries order by id`.execute(s.app.handle.db)
    ).rows;

  /** Gives every delivery an id made `days` ago, as if it had been created then. */
  async function age(s: TestServer, days: number) {
    const ids = new UlidGenerator(() => Date.now() - days * DAY_MS);
    for (const { id } of await deliveries(s)) {
      await sql`update deliveries set id = ${ids.next("dlv")} where id = ${id}`.execute(
        s.app.handle.db,
      );
    }
  }

  /** A contract offered and accepted: emails to its parties, and calls to the client's endpoint. */
  async function activity(s: TestServer) {
    const client = await s.signUp("Carol");
    const freelancer = await s.signUp("Frank", { card: null });
    const endpoint = await s.request("POST", "/v1/webhook-endpoints", {
      token: client.token,
      body: { url: receiver!.url },
    });
    expect(endpoint.status).toBe(201);
    const contract = await offer(s, client, freelancer, [10_000]);
    const accepted = await s.request("POST", `/v1/contracts/${contract.id}/accept`, {
      token: freelancer.token,
    });
    expect(accepted.status).toBe(200);
    await s.app.dispatcher.runOnce();
  }

  it("R22: finished deliveries older than the retention are deleted by the sweep; pending and recent ones stay", async () => {
    receiver = await startReceiver();
    server = await createTestServer(dialect, {
      ESCROW_WEBHOOKS_ALLOW_PRIVATE: "1",
      ESCROW_DELIVERY_RETENTION_DAYS: "30",
    });
    await activity(server);
    const delivered = await deliveries(server);
    expect(delivered.length).toBeGreaterThan(2);
    expect(delivered.every((d) => d.status === "delivered")).toBe(true);
    // A second round whose webhook calls fail: they stay pending, to be retried.
    receiver.mode = "fail";
    await activity(server);
    const pending = (await deliveries(server)).filter((d) => d.status === "pending");
    expect(pending.length).toBeGreaterThan(0);

    await age(server, 31);
    const old = await deliveries(server);
    receiver.mode = "ok";
    await activity(server);
    const recent = (await deliveries(server)).filter((d) => !old.some((o) => o.id === d.id));
    expect(recent.length).toBeGreaterThan(0);

    await server.app.sweeper.sweepNow();
    const left = await deliveries(server);
    expect(left.map((d) => d.status).sort()).toEqual(
      [...pending.map(() => "pending"), ...recent.map(() => "delivered")].sort(),
    );
    expect(left.filter((d) => old.some((o) => o.id === d.id)).map((d) => d.status)).toEqual(
      pending.map(() => "pending"),
    );
    // Still reachable through the endpoint's log: what is left of it.
    expect(left).toHaveLength(pending.length + recent.length);
  });

  it("R22: deliveries within the retention, or with ESCROW_DELIVERY_RETENTION_DAYS=0 any age, are kept", async () => {
    receiver = await startReceiver();
    server = await createTestServer(dialect, {
      ESCROW_WEBHOOKS_ALLOW_PRIVATE: "1",
      ESCROW_DELIVERY_RETENTION_DAYS: "30",
    });
    await activity(server);
    await age(server, 29);
    const before = await deliveries(server);
    await server.app.sweeper.sweepNow();
    expect(await deliveries(server)).toEqual(before);
    await server.close();

    server = await createTestServer(dialect, {
      ESCROW_WEBHOOKS_ALLOW_PRIVATE: "1",
      ESCROW_DELIVERY_RETENTION_DAYS: "0",
    });
    await activity(server);
    await age(server, 3_650);
    const ancient = await deliveries(server);
    expect(ancient.length).toBeGreaterThan(2);
    await server.app.sweeper.sweepNow();
    expect(await deliveries(server)).toEqual(ancient);
  });

  it("R22: a large backlog is deleted a bounded number of rows per call, the rest by later calls", async () => {
    receiver = await startReceiver();
    server = await createTestServer(dialect, { ESCROW_WEBHOOKS_ALLOW_PRIVATE: "1" });
    await activity(server);
    const [model] = await deliveries(server);
    const ids = new UlidGenerator(() => Date.now() - 40 * DAY_MS);
    const db = server.app.handle.db;
    await db.transaction().execute(async (tx) => {
      for (let i = 0; i < 1_199; i++) {
        await sql`insert into deliveries select ${ids.next("dlv")}, channel, event_id, event_type, ${`copy-${i}`}, payload, status, attempts, next_attempt_at, lease_until, lease_token, last_status_code, last_error, created_at, last_attempt_at, delivered_at from deliveries where id = ${model!.id}`.execute(
          tx,
        );
      }
    });
    const made = (await deliveries(server)).length;
    const store = server.app.services.notifications;
    // Everything made before the bound, at most about 1,000 rows per call (whole chunks of 500).
    expect(await store.purgeFinished(Date.now() - 35 * DAY_MS, 1_000)).toBe(1_000);
    expect(await store.purgeFinished(Date.now() - 35 * DAY_MS, 1_000)).toBe(199);
    expect(await store.purgeFinished(Date.now() - 35 * DAY_MS, 1_000)).toBe(0);
    expect(await deliveries(server)).toHaveLength(made - 1_199);
  });

  it("R1: throttling counts whose window has ended are deleted by the sweep; a live count still throttles", async () => {
    server = await createTestServer(dialect);
    const user = await server.signUp("Counted", { card: null });
    for (let i = 0; i < 10; i++) {
      const failed = await loginFrom(server, "10.9.0.1", {
        email: user.email,
        password: "wrong password",
      });
      expect(failed.status).toBe(401);
    }
    await loginFrom(server, "10.9.0.2", { email: "nobody@example.test", password: "nope nope" });
    const keys = async () =>
      (
        await sql<{
          key: string;
        }>`select key from rate_limits order by key`.execute(server!.app.handle.db)
      ).rows.map((r) => r.key);
    expect(await keys()).toEqual([
      `login:account:${user.email}`,
      "login:account:nobody@example.test",
      "login:ip:10.9.0.1",
      "login:ip:10.9.0.2",
    ]);
    // The second address's counts started more than an hour ago (the longest window).
    await sql`update rate_limits set window_start = ${Date.now() - 61 * 60 * 1000} where key in ('login:ip:10.9.0.2', 'login:account:nobody@example.test')`.execute(
      server.app.handle.db,
    );
    await server.app.sweeper.sweepNow();
    expect(await keys()).toEqual([`login:account:${user.email}`, "login:ip:10.9.0.1"]);
    const throttled = await loginFrom(server, "10.9.0.3", {
      email: user.email,
      password: "correct horse battery",
    });
    expect(throttled.status).toBe(429);
  });
});
