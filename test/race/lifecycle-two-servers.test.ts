/**
 * The whole contract lifecycle of API.md, every request sent to one of two server processes on
 * one PostgreSQL at random: the answers are the same as with one server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyLedger } from "../../src/storage/verify-ledger.js";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../support/dialects.js";
import { client, startServerProcess, type ServerProcess } from "../support/processes.js";

describe.runIf(POSTGRES_URL !== undefined)("the lifecycle across two servers", () => {
  let database: TestDatabase;
  const servers: ServerProcess[] = [];
  const seed = Number(process.env.ESCROW_RACE_SEED ?? Date.now() % 1_000_000);
  let state = seed;
  const api = (
    method: string,
    url: string,
    options: Parameters<ReturnType<typeof client>>[2] = {},
  ) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return client(servers[state % 2]!.url)(method, url, options);
  };

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    const env = {
      DATABASE_URL: database.location.databaseUrl!,
      ESCROW_TEST_CLOCK: "1",
      ESCROW_INSECURE_FAST_PASSWORD_HASH: "1",
      ESCROW_NO_SWEEP: "1",
      ESCROW_BOOTSTRAP_STAFF: "staff@example.test:staff password",
    };
    // Started one after the other: both run the bootstrap, the second keeps the first's account.
    servers.push(await startServerProcess(env));
    servers.push(await startServerProcess(env));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await database?.drop();
  });

  it("R6-R22: sign-up to CSV export with requests spread at random over both servers", async () => {
    console.log(`server choice seed ${seed}`);
    const signup = async (name: string) =>
      (
        await api("POST", "/v1/auth/signup", {
          body: { email: `${name}@example.test`, password: "long password 1", name },
        })
      ).body.token as string;
    const carol = await signup("carol");
    const frank = await signup("frank");
    const staff = (
      await api("POST", "/v1/auth/login", {
        body: { email: "staff@example.test", password: "staff password" },
      })
    ).body.token as string;
    expect((await api("GET", "/v1/me", { token: staff })).body.isStaff).toBe(true);
    expect(
      (await api("POST", "/v1/payment-methods", { token: carol, body: { token: "tok_visa" } }))
        .status,
    ).toBe(201);
    const offered = await api("POST", "/v1/contracts", {
      token: carol,
      body: {
        freelancerEmail: "frank@example.test",
        title: "Site",
        currency: "EUR",
        milestones: [
          { title: "A", amount: 10_000 },
          { title: "B", amount: 30_000 },
        ],
      },
    });
    expect(offered.status).toBe(201);
    const id = offered.body.id as string;
    const [a, b] = offered.body.milestones.map((m: { id: string }) => m.id) as [string, string];
    expect(
      (await api("POST", `/v1/contracts/${id}/accept`, { token: frank, body: {} })).body.status,
    ).toBe("active");
    expect(
      (await api("POST", `/v1/milestones/${a}/submit`, { token: frank, body: { message: "v1" } }))
        .body.status,
    ).toBe("submitted");
    expect(
      (
        await api("POST", `/v1/milestones/${a}/request-changes`, {
          token: carol,
          body: { message: "more" },
        })
      ).body.status,
    ).toBe("changes_requested");
    expect(
      (await api("POST", `/v1/milestones/${a}/submit`, { token: frank, body: { message: "v2" } }))
        .status,
    ).toBe(200);
    expect(
      (await api("POST", `/v1/milestones/${a}/approve`, { token: carol, body: { amount: 8_000 } }))
        .body,
    ).toMatchObject({ status: "paid", releasedAmount: 8_000 });
    expect(
      (await api("POST", `/v1/milestones/${b}/fund`, { token: carol, body: {} })).body.fundedAmount,
    ).toBe(30_000);
    await api("POST", `/v1/milestones/${b}/submit`, { token: frank, body: { message: "b" } });
    await api("POST", "/v1/test-clock/advance", { body: { seconds: 14 * 86_400 } });
    expect((await api("GET", `/v1/milestones/${b}`, { token: frank })).body.status).toBe("paid");
    const added = await api("POST", `/v1/contracts/${id}/milestones`, {
      token: carol,
      body: { title: "C", amount: 5_000 },
    });
    expect(added.status).toBe(201);
    await api("POST", `/v1/milestones/${added.body.id}/fund`, { token: carol, body: {} });
    expect(
      (await api("POST", `/v1/contracts/${id}/end`, { token: carol, body: {} })).body.status,
    ).toBe("ended");
    const refund = await api("POST", `/v1/contracts/${id}/refund-requests`, {
      token: carol,
      body: {},
    });
    expect(refund.body).toMatchObject({ status: "pending", amount: 5_000 });
    const disputed = await api("POST", `/v1/refund-requests/${refund.body.id}/dispute`, {
      token: frank,
      body: { reason: "partly done" },
    });
    const resolved = await api("POST", `/v1/disputes/${disputed.body.disputeId}/resolve`, {
      token: staff,
      body: { refundAmount: 2_000, releaseAmount: 3_000, reason: "half" },
    });
    expect(resolved.body.status).toBe("resolved");
    const contract = await api("GET", `/v1/contracts/${id}`, { token: carol });
    expect(contract.body).toMatchObject({ escrowBalance: 0, status: "ended" });
    const mine = await api("GET", "/v1/transactions?limit=100", { token: carol });
    expect(mine.body.data.reduce((t: number, r: { amount: number }) => t + r.amount, 0)).toBe(
      -(10_000 + 28_000 + 5_000) + 2_000,
    );
    const earned = await api("GET", "/v1/transactions?limit=100", { token: frank });
    expect(earned.body.data.reduce((t: number, r: { amount: number }) => t + r.amount, 0)).toBe(
      8_000 + 30_000 + 3_000,
    );
    const csv = await fetch(`${servers[1]!.url}/v1/transactions/export.csv`, {
      headers: { authorization: `Bearer ${carol}` },
    });
    expect((await csv.text()).trim().split("\r\n")).toHaveLength(1 + mine.body.data.length);
    expect(await verifyLedger(database.handle.db)).toEqual([]);
  }, 120_000);
});
