/** Idempotency scope and retention, and login throttling under concurrency. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, type TestServer } from "../support/server.js";

describe.each(DIALECTS)("idempotency and throttling details (%s)", (dialect) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(dialect);
  });
  afterEach(() => server.close());

  async function offerWithKey(token: string, freelancerEmail: string, url: string, key: string) {
    return server.request("POST", url, {
      token,
      headers: { "idempotency-key": key },
      body: {
        freelancerEmail,
        title: "Logo",
        currency: "USD",
        milestones: [{ title: "A", amount: 1_000 }],
      },
    });
  }

  it("R24: one key covers every spelling of a URL (a trailing slash does not run the offer again)", async () => {
    const client = await server.signUp("Carol");
    const freelancer = await server.signUp("Frank", { card: null });
    const first = await offerWithKey(client.token, freelancer.email, "/v1/contracts", "K1");
    const second = await offerWithKey(client.token, freelancer.email, "/v1/contracts/", "K1");
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    const mine = await server.request("GET", "/v1/transactions", { token: client.token });
    expect(mine.body.data).toHaveLength(1);
  });

  it("R24: a key is replayed for 24 hours; after that it is a new request", async () => {
    const client = await server.signUp("Carol");
    const freelancer = await server.signUp("Frank", { card: null });
    const first = await offerWithKey(client.token, freelancer.email, "/v1/contracts", "K2");
    await server.advanceDays(23 / 24);
    expect(
      (await offerWithKey(client.token, freelancer.email, "/v1/contracts", "K2")).body.id,
    ).toBe(first.body.id);
    await server.advanceDays(2 / 24);
    const later = await offerWithKey(client.token, freelancer.email, "/v1/contracts", "K2");
    expect(later.status).toBe(201);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it("R1: forty wrong passwords sent at once are forty attempts: the account is throttled", async () => {
    const user = await server.signUp("Carol", { card: null });
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        server.request("POST", "/v1/auth/login", {
          body: { email: user.email, password: "wrong password" },
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    expect(answers.find((a) => a.status === 429)!.headers["retry-after"]).toBeDefined();
  });
});

describe.each(DIALECTS)("transaction totals (%s)", (dialect) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(dialect);
  });
  afterEach(() => server.close());

  it("R21: totals cover every matching row, whatever page is being read, with the same filters", async () => {
    const client = await server.signUp("Carol");
    const freelancer = await server.signUp("Frank", { card: null });
    for (const amount of [1_000, 2_000, 3_000]) {
      await server.request("POST", "/v1/contracts", {
        token: client.token,
        body: {
          freelancerEmail: freelancer.email,
          title: "T",
          currency: "EUR",
          milestones: [{ title: "A", amount }],
        },
      });
    }
    const page = await server.request("GET", "/v1/transactions?limit=1", { token: client.token });
    expect(page.body.data).toHaveLength(1);
    expect(page.body.hasMore).toBe(true);
    const totals = await server.request("GET", "/v1/transactions/totals", { token: client.token });
    expect(totals.body).toEqual({ data: [{ currency: "EUR", net: -6_000, count: 3 }] });
    const filtered = await server.request("GET", "/v1/transactions/totals?type=escrow_refund", {
      token: client.token,
    });
    expect(filtered.body).toEqual({ data: [] });
    const refused = await server.request("GET", "/v1/transactions/totals?limit=5", {
      token: client.token,
    });
    expect(refused.status).toBe(400);
  });
});
