/**
 * Signed webhooks to a real HTTP receiver (node:http on 127.0.0.1, allowed with
 * ESCROW_WEBHOOKS_ALLOW_PRIVATE=1): every event of the owner's contracts, signed; retried on
 * the server's clock while the receiver fails; redone after a restart mid-delivery.
 */
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testConfig } from "../support/server.js";
import { createApp } from "../../src/main.js";
import { verifyEscrowSignature } from "../../src/webhooks/verify.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, offer, type TestServer, type TestUser } from "../support/server.js";
import { startReceiver, type ReceivedCall, type WebhookReceiver } from "./support.js";

const ENV = { ESCROW_WEBHOOKS_ALLOW_PRIVATE: "1" };
const MINUTE_DAYS = 60 / 86_400;

describe.each(DIALECTS)("webhooks (%s)", (dialect) => {
  let receiver: WebhookReceiver;
  let server: TestServer;
  let client: TestUser;
  let freelancer: TestUser;

  beforeEach(async () => {
    receiver = await startReceiver();
    server = await createTestServer(dialect, ENV);
    client = await server.signUp("Carol");
    freelancer = await server.signUp("Frank", { card: null });
  });
  afterEach(async () => {
    await server.close();
    await receiver.close();
  });

  const call = (user: TestUser, method: string, url: string, body?: unknown) =>
    server.request(method, url, { token: user.token, body });

  async function register(user: TestUser, body: Record<string, unknown> = {}) {
    const answer = await call(user, "POST", "/v1/webhook-endpoints", {
      url: receiver.url,
      ...body,
    });
    expect(answer.status).toBe(201);
    return answer.body as { id: string; url: string; events: string[] | null; secret: string };
  }

  const signatureOf = (c: ReceivedCall) => c.headers["escrow-signature"] as string;

  it("R22: every event of the owner's contracts is delivered once, signed with real wall-clock time", async () => {
    // The test clock is far from real time: the signature must still use real time.
    await server.advanceDays(30);
    const endpoint = await register(client);
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(endpoint.events).toBeNull();
    const approvals = await register(freelancer, { events: ["milestone.approved"] });
    expect(approvals.events).toEqual(["milestone.approved"]);
    // The list never shows secrets.
    const listed = await call(client, "GET", "/v1/webhook-endpoints");
    expect(listed.body).toMatchObject({
      data: [{ id: endpoint.id, url: receiver.url }],
      hasMore: false,
    });
    expect(JSON.stringify(listed.body)).not.toContain("whsec_");

    const contract = await offer(server, client, freelancer, [10_000]);
    await call(freelancer, "POST", `/v1/contracts/${contract.id}/accept`);
    await call(freelancer, "POST", `/v1/milestones/${contract.milestones[0].id}/submit`, {
      message: "Done",
    });
    await call(client, "POST", `/v1/milestones/${contract.milestones[0].id}/approve`, {});
    // A contract between other people is not the client's business.
    const stranger = await server.signUp("Sam");
    await offer(server, stranger, freelancer, [5_000]);
    await server.app.dispatcher.runOnce();

    const history = await call(client, "GET", `/v1/contracts/${contract.id}/events?limit=100`);
    const expected = history.body.data.map((e: any) => ({
      id: e.id,
      type: e.type,
      createdAt: e.createdAt,
      contractId: contract.id,
      data: e.data,
    }));
    const toClient = receiver.calls.filter(
      (c) => verifyEscrowSignature(endpoint.secret, signatureOf(c), c.raw).ok,
    );
    const toFreelancer = receiver.calls.filter(
      (c) => verifyEscrowSignature(approvals.secret, signatureOf(c), c.raw).ok,
    );
    expect(toClient.length + toFreelancer.length).toBe(receiver.calls.length);
    expect(toClient.map((c) => c.body)).toEqual(expected);
    expect(toFreelancer.map((c) => c.body.type)).toEqual(["milestone.approved"]);
    for (const c of receiver.calls) {
      const t = Number(/t=(\d+)/.exec(signatureOf(c))![1]);
      expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(60);
      expect(c.headers["content-type"]).toBe("application/json");
    }
    // The delivery log.
    const log = await call(client, "GET", `/v1/webhook-endpoints/${endpoint.id}/deliveries`);
    expect(log.body.data).toHaveLength(expected.length);
    expect(log.body.data.every((d: any) => d.status === "delivered" && d.attempts === 1)).toBe(
      true,
    );
    // Delivered once: another pass sends nothing.
    await server.app.dispatcher.runOnce();
    expect(receiver.calls).toHaveLength(expected.length + 1);
  });

  it("R22: a tampered body or an old timestamp fails verification", async () => {
    const endpoint = await register(client);
    await offer(server, client, freelancer);
    await server.app.dispatcher.runOnce();
    const first = receiver.calls[0]!;
    const header = signatureOf(first);
    expect(verifyEscrowSignature(endpoint.secret, header, first.raw)).toMatchObject({ ok: true });
    expect(
      verifyEscrowSignature(endpoint.secret, header, first.raw.replace(`"id":"`, `"id":"x`)),
    ).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect(verifyEscrowSignature("whsec_wrong", header, first.raw)).toEqual({
      ok: false,
      reason: "mismatch",
    });
    const t = Number(/t=(\d+)/.exec(header)![1]);
    expect(
      verifyEscrowSignature(endpoint.secret, header, first.raw, 300, (t + 301) * 1000),
    ).toEqual({
      ok: false,
      reason: "too_old",
    });
    expect(verifyEscrowSignature(endpoint.secret, undefined, first.raw)).toEqual({
      ok: false,
      reason: "malformed",
    });
  });

  it("R22, R23: a receiver failing for a while gets everything once it recovers; retries follow the test clock", async () => {
    const endpoint = await register(client);
    receiver.mode = "fail";
    const contract = await offer(server, client, freelancer);
    await server.app.dispatcher.runOnce();
    expect(receiver.calls).toHaveLength(2); // contract.offered, milestone.funded
    let log = await call(client, "GET", `/v1/webhook-endpoints/${endpoint.id}/deliveries`);
    expect(log.body.data[0]).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500 });
    // Not due again until the first delay (1 minute) has passed on the server's clock.
    await server.app.dispatcher.runOnce();
    await server.advanceDays(MINUTE_DAYS / 2);
    expect(receiver.calls).toHaveLength(2);
    await server.advanceDays(MINUTE_DAYS / 2);
    expect(receiver.calls).toHaveLength(4);
    receiver.mode = "redirect"; // a redirect is a failure: it is not followed
    await server.advanceDays(5 * MINUTE_DAYS);
    expect(receiver.calls).toHaveLength(6);
    log = await call(client, "GET", `/v1/webhook-endpoints/${endpoint.id}/deliveries`);
    expect(log.body.data[0]).toMatchObject({ status: "pending", attempts: 3, lastStatusCode: 302 });
    expect(log.body.data[0].lastError).toContain("redirects are not followed");
    receiver.mode = "ok";
    await server.advanceDays(30 * MINUTE_DAYS);
    expect(receiver.calls).toHaveLength(8);
    log = await call(client, "GET", `/v1/webhook-endpoints/${endpoint.id}/deliveries`);
    expect(log.body.data.map((d: any) => [d.status, d.attempts])).toEqual([
      ["delivered", 4],
      ["delivered", 4],
    ]);
    // The same event ids each time: receivers deduplicate on `id`.
    const ids = receiver.calls.map((c) => c.body.id);
    expect(new Set(ids).size).toBe(2);
    const history = await call(client, "GET", `/v1/contracts/${contract.id}/events`);
    expect([...new Set(ids)].sort()).toEqual(history.body.data.map((e: any) => e.id).sort());
  });

  it("R23: a receiver that keeps failing is retried with growing delays for at least 3 days, then given up", async () => {
    const endpoint = await register(client, { events: ["contract.offered"] });
    receiver.mode = "fail";
    await offer(server, client, freelancer);
    await server.app.dispatcher.runOnce();
    const times: number[] = [];
    for (let hour = 0; hour < 5 * 24; hour++) {
      const before = receiver.calls.length;
      await server.advanceDays(1 / 24);
      if (receiver.calls.length > before) times.push(hour + 1);
    }
    const log = await call(client, "GET", `/v1/webhook-endpoints/${endpoint.id}/deliveries`);
    expect(log.body.data[0]).toMatchObject({ status: "failed", lastStatusCode: 500 });
    // Delays grow, and the last attempt is at least 3 days after the first.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.every((gap, i) => i === 0 || gap >= gaps[i - 1]!)).toBe(true);
    expect(times.at(-1)!).toBeGreaterThanOrEqual(72);
    expect(receiver.calls.length).toBe(log.body.data[0].attempts);
  });

  it("R22: a server stopped mid-delivery leaves it to the next server, which delivers it again", async () => {
    const endpoint = await register(client, { events: ["contract.offered"] });
    receiver.mode = "hang";
    await offer(server, client, freelancer);
    const pass = server.app.dispatcher.runOnce();
    await receiver.waitFor(1);
    await server.app.close();
    await pass.catch(() => undefined);

    receiver.mode = "ok";
    const next = await createApp(
      testConfig(server.database.location, ENV),
      pino({ level: "silent" }),
    );
    try {
      await next.dispatcher.runOnce();
      expect(receiver.calls).toHaveLength(2);
      expect(receiver.calls[1]!.body.id).toBe(receiver.calls[0]!.body.id);
      expect(
        verifyEscrowSignature(
          endpoint.secret,
          signatureOf(receiver.calls[1]!),
          receiver.calls[1]!.raw,
        ).ok,
      ).toBe(true);
      const log = await next.server.app.inject({
        method: "GET",
        url: `/v1/webhook-endpoints/${endpoint.id}/deliveries`,
        headers: { authorization: `Bearer ${client.token}` },
      });
      expect(log.json().data[0]).toMatchObject({ status: "delivered", attempts: 2 });
    } finally {
      await next.close();
      // The first app is closed already; createTestServer's close would close it again.
      await server.database.drop();
      server = { close: () => Promise.resolve() } as unknown as TestServer;
    }
  });

  it("a deleted endpoint gets nothing more, and its id is then 404 to its owner too", async () => {
    const endpoint = await register(client);
    receiver.mode = "fail";
    await offer(server, client, freelancer);
    await server.app.dispatcher.runOnce();
    expect(receiver.calls).toHaveLength(2);
    expect((await call(client, "DELETE", `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(204);
    await server.advanceDays(1);
    expect(receiver.calls).toHaveLength(2);
    expect((await call(client, "DELETE", `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
    expect(
      (await call(client, "GET", `/v1/webhook-endpoints/${endpoint.id}/deliveries`)).status,
    ).toBe(404);
  });
});
