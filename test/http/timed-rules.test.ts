/**
 * The timed rules driven from outside, over HTTP, with the test clock: on time, exactly once,
 * also across a restart of the server.
 */
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/main.js";
import { verifyLedger } from "../../src/storage/verify-ledger.js";
import { createTestDatabase, DIALECTS } from "../support/dialects.js";
import {
  createTestServer,
  offer,
  testConfig,
  type TestServer,
  type TestUser,
} from "../support/server.js";

const DAY = 86_400;

describe.each(DIALECTS)("timed rules over HTTP (%s)", (dialect) => {
  let server: TestServer;
  let client: TestUser;
  let freelancer: TestUser;
  beforeEach(async () => {
    server = await createTestServer(dialect);
    client = await server.signUp("Carol");
    freelancer = await server.signUp("Frank", { card: null });
  });
  afterEach(() => server.close());

  const get = (user: TestUser, url: string) => server.request("GET", url, { token: user.token });
  const post = (user: TestUser, url: string, body?: unknown) =>
    server.request("POST", url, { token: user.token, body });
  const advance = (seconds: number) =>
    server.request("POST", "/v1/test-clock/advance", { body: { seconds } });

  async function submittedContract() {
    const contract = await offer(server, client, freelancer, [50_000, 10_000]);
    await post(freelancer, `/v1/contracts/${contract.id}/accept`);
    const submitted = await post(freelancer, `/v1/milestones/${contract.milestones[0].id}/submit`, {
      message: "done",
    });
    return { contract, milestone: submitted.body };
  }

  it("R14, R23: 14 days minus a second nothing; at 14 days approved in full, shown ahead as the next automatic action", async () => {
    const { contract, milestone } = await submittedContract();
    const shown = await get(client, `/v1/contracts/${contract.id}`);
    expect(shown.body.nextAutomaticAction).toEqual({
      type: "milestone_auto_approval",
      at: milestone.autoApproveAt,
      milestoneId: milestone.id,
    });
    expect(Date.parse(milestone.autoApproveAt) - Date.parse(milestone.submittedAt)).toBe(
      14 * DAY * 1000,
    );
    await advance(11 * DAY);
    await advance(3 * DAY - 1);
    expect((await get(client, `/v1/milestones/${milestone.id}`)).body.status).toBe("submitted");
    const tick = await advance(1);
    expect(tick.body.now).toBe(milestone.autoApproveAt);
    const after = await get(client, `/v1/milestones/${milestone.id}`);
    expect(after.body).toMatchObject({ status: "paid", releasedAmount: 50_000 });
    expect(after.body.submissions[0].review.outcome).toBe("auto_approved");
    const events = await get(freelancer, `/v1/contracts/${contract.id}/events?limit=100`);
    const auto = events.body.data.filter(
      (e: { type: string }) => e.type === "milestone.auto_approved",
    );
    expect(auto).toHaveLength(1);
    expect(auto[0].actor).toEqual({ kind: "system" });
    expect(
      events.body.data.filter(
        (e: { type: string }) => e.type === "milestone.auto_approval_reminder",
      ),
    ).toHaveLength(2);
    await advance(30 * DAY);
    const again = await get(freelancer, `/v1/contracts/${contract.id}/events?limit=100`);
    expect(
      again.body.data.filter((e: { type: string }) => e.type === "milestone.auto_approved"),
    ).toHaveLength(1);
    expect(await server.violations()).toEqual([]);
  });

  it("R13, R14: a request for changes stops the clock; a resubmission starts a new 14 days", async () => {
    const { milestone } = await submittedContract();
    await advance(5 * DAY);
    await post(client, `/v1/milestones/${milestone.id}/request-changes`, { message: "again" });
    await advance(20 * DAY);
    expect((await get(client, `/v1/milestones/${milestone.id}`)).body.status).toBe(
      "changes_requested",
    );
    const resubmitted = await post(freelancer, `/v1/milestones/${milestone.id}/submit`, {
      message: "v2",
    });
    await advance(14 * DAY - 1);
    expect((await get(client, `/v1/milestones/${milestone.id}`)).body.status).toBe("submitted");
    await advance(1);
    expect((await get(client, `/v1/milestones/${milestone.id}`)).body).toMatchObject({
      status: "paid",
      releasedAmount: 50_000,
    });
    expect(resubmitted.body.autoApproveAt).not.toBe(milestone.autoApproveAt);
  });

  it("R17, R18: the 7-day refund window that ends before the 14-day review window wins; a dispute stops it", async () => {
    const { contract, milestone } = await submittedContract();
    await post(client, `/v1/contracts/${contract.id}/end`, {});
    const refund = await post(client, `/v1/contracts/${contract.id}/refund-requests`, {
      reason: "stop",
    });
    expect((await get(client, `/v1/contracts/${contract.id}`)).body.nextAutomaticAction).toEqual({
      type: "refund_auto_approval",
      at: refund.body.respondBy,
      refundRequestId: refund.body.id,
    });
    await advance(20 * DAY);
    expect((await get(client, `/v1/refund-requests/${refund.body.id}`)).body.status).toBe(
      "auto_approved",
    );
    expect((await get(client, `/v1/milestones/${milestone.id}`)).body.status).toBe("refunded");
    expect((await get(client, `/v1/contracts/${contract.id}`)).body.escrowBalance).toBe(0);

    const second = await submittedContract();
    await post(client, `/v1/contracts/${second.contract.id}/end`, {});
    const request = await post(client, `/v1/contracts/${second.contract.id}/refund-requests`, {});
    await post(freelancer, `/v1/refund-requests/${request.body.id}/dispute`, {
      reason: "work was done",
    });
    await advance(30 * DAY);
    expect((await get(client, `/v1/refund-requests/${request.body.id}`)).body.status).toBe(
      "disputed",
    );
    expect((await get(client, `/v1/milestones/${second.milestone.id}`)).body.status).toBe(
      "submitted",
    );
    expect((await get(client, `/v1/contracts/${second.contract.id}`)).body.escrowBalance).toBe(
      50_000,
    );
    expect(await server.violations()).toEqual([]);
  });

  it("R18, R20: an approved refund returns the money; a cancelled refund request leaves it in escrow", async () => {
    const { contract } = await submittedContract();
    await post(client, `/v1/contracts/${contract.id}/end`, {});
    const refund = await post(client, `/v1/contracts/${contract.id}/refund-requests`, {});
    await advance(6 * DAY);
    await post(freelancer, `/v1/refund-requests/${refund.body.id}/approve`).then((r) =>
      expect(r.status).toBe(200),
    );
    expect((await get(client, `/v1/contracts/${contract.id}`)).body.escrowBalance).toBe(0);

    const other = await submittedContract();
    await post(client, `/v1/contracts/${other.contract.id}/end`, {});
    const open = await post(client, `/v1/contracts/${other.contract.id}/refund-requests`, {});
    await advance(6 * DAY);
    const cancelled = await post(client, `/v1/refund-requests/${open.body.id}/cancel`);
    expect(cancelled.body.status).toBe("cancelled");
    expect((await get(client, `/v1/contracts/${other.contract.id}`)).body.escrowBalance).toBe(
      50_000,
    );
  });
});

describe.each(DIALECTS)("timed rules across a restart (%s)", (dialect) => {
  it("R23: deadlines made, server stopped, time passes, server started: each rule runs exactly once", async () => {
    const database = await createTestDatabase(dialect);
    const quiet = pino({ level: "silent" });
    try {
      // Server A creates the deadlines and stops without sweeping.
      const a = await createApp(testConfig(database.location, { ESCROW_NO_SWEEP: "1" }), quiet);
      const request = (method: string, url: string, token?: string, body?: unknown) =>
        a.server.app.inject({
          method: method as "POST",
          url,
          headers: token ? { authorization: `Bearer ${token}` } : {},
          ...(body === undefined ? {} : { payload: body as object }),
        });
      const signup = async (name: string) =>
        (
          await request("POST", "/v1/auth/signup", undefined, {
            email: `${name}@example.test`,
            password: "long password 1",
            name,
          })
        ).json().token as string;
      const carol = await signup("carol");
      const frank = await signup("frank");
      await request("POST", "/v1/payment-methods", carol, { token: "tok_visa" });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const contract = (
          await request("POST", "/v1/contracts", carol, {
            freelancerEmail: "frank@example.test",
            title: `C${i}`,
            currency: "EUR",
            milestones: [{ title: "M", amount: 1_000 + i }],
          })
        ).json();
        await request("POST", `/v1/contracts/${contract.id}/accept`, frank);
        await request("POST", `/v1/milestones/${contract.milestones[0].id}/submit`, frank, {
          message: "done",
        });
        ids.push(contract.id);
      }
      await a.close();

      // Twenty days pass while no server runs.
      await database.handle.db
        .updateTable("test_clock")
        .set((eb) => ({ now: eb("now", "+", 20 * DAY * 1000) }))
        .execute();

      for (let restart = 0; restart < 2; restart++) {
        const b = await createApp(testConfig(database.location, { ESCROW_NO_SWEEP: "0" }), quiet);
        b.sweeper.start();
        await b.sweeper.sweepNow();
        await b.close();
      }
      const approvals = await database.handle.db
        .selectFrom("events")
        .select(["contract_id"])
        .where("type", "=", "milestone.auto_approved")
        .execute();
      expect(approvals.map((r) => r.contract_id).sort()).toEqual([...ids].sort());
      const releases = await database.handle.db
        .selectFrom("journal_entries")
        .select("cause")
        .where("cause", "like", "release:%")
        .execute();
      expect(releases).toHaveLength(3);
      expect(await verifyLedger(database.handle.db)).toEqual([]);
    } finally {
      await database.drop();
    }
  });
});
