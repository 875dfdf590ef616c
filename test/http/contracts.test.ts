/** Contracts over HTTP (API.md "Contracts"): offers, lists, transitions, events. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, offer, type TestServer } from "../support/server.js";
import {
  activeContract,
  caller,
  contractOf,
  expectError,
  moneyOf,
  parties,
  postingCount,
  type Call,
} from "./http-helpers.js";

describe.each(DIALECTS)("contracts over HTTP (%s)", (dialect) => {
  let server: TestServer;
  let call: Call;
  beforeAll(async () => {
    server = await createTestServer(dialect);
    call = caller(server);
  });
  afterAll(async () => {
    expect(await server.violations()).toEqual([]);
    await server.close();
  });

  const offerBody = (freelancerEmail: string, amounts = [10_000, 20_000]) => ({
    freelancerEmail,
    title: "Logo and website",
    description: "A new brand",
    currency: "USD",
    milestones: amounts.map((amount, i) => ({
      title: `Part ${i + 1}`,
      amount,
      dueDate: "2030-01-0" + (i + 1),
    })),
  });

  describe("POST /v1/contracts", () => {
    it("R6, R7, R25: an offer is 201 `offered` with its first milestone funded by a charge and the others pending", async () => {
      const { client, freelancer } = await parties(server);
      const answer = await call(client, "POST", "/v1/contracts", offerBody(freelancer.email));
      expect(answer.status).toBe(201);
      const contract = answer.body;
      expect(contract).toMatchObject({
        title: "Logo and website",
        description: "A new brand",
        currency: "USD",
        status: "offered",
        client: { id: client.id, name: client.name, email: client.email },
        freelancer: { id: freelancer.id, name: freelancer.name, email: freelancer.email },
        escrowBalance: 10_000,
        unallocatedEscrow: 0,
        reviewWindowDays: 14,
        refundWindowDays: 7,
        acceptedAt: null,
        endedAt: null,
      });
      expect(typeof contract.createdAt).toBe("string");
      expect(contract.milestones).toMatchObject([
        {
          position: 1,
          title: "Part 1",
          amount: 10_000,
          status: "funded",
          fundedAmount: 10_000,
          releasedAmount: 0,
          dueDate: "2030-01-01",
          overdue: false,
          contractId: contract.id,
        },
        {
          position: 2,
          title: "Part 2",
          amount: 20_000,
          status: "pending",
          fundedAmount: 0,
          releasedAmount: 0,
          dueDate: "2030-01-02",
        },
      ]);
      expect(await moneyOf(server, client)).toEqual([["escrow_deposit", -10_000]]);
      expect(await moneyOf(server, freelancer)).toEqual([]);
      expect((await call(freelancer, "GET", `/v1/contracts/${contract.id}`)).body.status).toBe(
        "offered",
      );
    });

    it("R6: freelancerEmail that is not a signed-up user, or the client's own, is 400 on field freelancerEmail and charges nothing", async () => {
      const { client } = await parties(server);
      const before = await postingCount(server);
      expectError(
        await call(client, "POST", "/v1/contracts", offerBody("nobody.here@example.test")),
        400,
        "validation_failed",
        "freelancerEmail",
      );
      expectError(
        await call(client, "POST", "/v1/contracts", offerBody(client.email)),
        400,
        "validation_failed",
        "freelancerEmail",
      );
      expect(await postingCount(server)).toBe(before);
      expect((await call(client, "GET", "/v1/contracts")).body).toEqual({
        data: [],
        hasMore: false,
      });
    });

    it("R3, R6: a bad offer body is 400 naming the field (milestones[0].amount, currency, no milestones)", async () => {
      const { client, freelancer } = await parties(server);
      const body = offerBody(freelancer.email);
      expectError(
        await call(client, "POST", "/v1/contracts", {
          ...body,
          milestones: [{ title: "x", amount: 0 }],
        }),
        400,
        "validation_failed",
        "milestones[0].amount",
      );
      expectError(
        await call(client, "POST", "/v1/contracts", {
          ...body,
          milestones: [{ title: "x", amount: 10.5 }],
        }),
        400,
        "validation_failed",
        "milestones[0].amount",
      );
      expectError(
        await call(client, "POST", "/v1/contracts", { ...body, currency: "usd" }),
        400,
        "validation_failed",
        "currency",
      );
      expectError(
        await call(client, "POST", "/v1/contracts", { ...body, milestones: [] }),
        400,
        "validation_failed",
        "milestones",
      );
      expectError(
        await call(client, "POST", "/v1/contracts", {
          ...body,
          milestones: [{ title: "x", amount: 5, dueDate: "2030-02-30" }],
        }),
        400,
        "validation_failed",
        "milestones[0].dueDate",
      );
      expect((await call(client, "GET", "/v1/contracts")).body.data).toEqual([]);
    });

    it("R5, R7: a declined card is 402 payment_failed and no contract exists: the lists stay empty and no transaction is written", async () => {
      const client = await server.signUp("Declined", { card: "tok_chargeDeclined" });
      const freelancer = await server.signUp("Waiting", { card: null });
      const before = await postingCount(server);
      expectError(
        await call(client, "POST", "/v1/contracts", offerBody(freelancer.email)),
        402,
        "payment_failed",
      );
      expect((await call(client, "GET", "/v1/contracts")).body).toEqual({
        data: [],
        hasMore: false,
      });
      expect((await call(freelancer, "GET", "/v1/contracts")).body).toEqual({
        data: [],
        hasMore: false,
      });
      expect(await moneyOf(server, client)).toEqual([]);
      expect(await postingCount(server)).toBe(before);
    });

    it("R5, R7: a client without a payment method is 402 payment_method_required and no contract exists", async () => {
      const client = await server.signUp("NoCard", { card: null });
      const freelancer = await server.signUp("Waiting", { card: null });
      expectError(
        await call(client, "POST", "/v1/contracts", offerBody(freelancer.email)),
        402,
        "payment_method_required",
      );
      expect((await call(client, "GET", "/v1/contracts")).body.data).toEqual([]);
      expect(await moneyOf(server, client)).toEqual([]);
    });
  });

  describe("GET /v1/contracts", () => {
    it("R1, R2: the list shows the caller's contracts newest first, filtered by role and status", async () => {
      const alice = await server.signUp("Alice");
      const bob = await server.signUp("Bob");
      const stranger = await server.signUp("Stranger");
      const aliceHires = await offer(server, alice, bob, [1_000]);
      const bobHires = await offer(server, bob, alice, [2_000]);
      const third = await offer(server, alice, bob, [3_000]);
      await call(bob, "POST", `/v1/contracts/${third.id}/accept`);

      const ids = async (url: string, user = alice) => {
        const answer = await call(user, "GET", url);
        expect(answer.status).toBe(200);
        return answer.body.data.map((c: { id: string }) => c.id);
      };
      expect(await ids("/v1/contracts")).toEqual([third.id, bobHires.id, aliceHires.id]);
      expect(await ids("/v1/contracts?role=client")).toEqual([third.id, aliceHires.id]);
      expect(await ids("/v1/contracts?role=freelancer")).toEqual([bobHires.id]);
      expect(await ids("/v1/contracts?status=active")).toEqual([third.id]);
      expect(await ids("/v1/contracts?role=client&status=offered")).toEqual([aliceHires.id]);
      expect(await ids("/v1/contracts?role=freelancer", bob)).toEqual([third.id, aliceHires.id]);
      expect(await ids("/v1/contracts", stranger)).toEqual([]);
      expectError(
        await call(alice, "GET", "/v1/contracts?role=staff"),
        400,
        "validation_failed",
        "role",
      );
      expectError(
        await call(alice, "GET", "/v1/contracts?status=paused"),
        400,
        "validation_failed",
        "status",
      );
    });

    it("R2: the list pages with limit, startingAfter and hasMore; limit 0 or 101 and an unknown startingAfter are 400", async () => {
      const { client, freelancer } = await parties(server);
      const made: string[] = [];
      for (let i = 0; i < 5; i++)
        made.unshift((await offer(server, client, freelancer, [100 + i])).id);
      const first = await call(client, "GET", "/v1/contracts?limit=2");
      expect(first.body.data.map((c: any) => c.id)).toEqual(made.slice(0, 2));
      expect(first.body.hasMore).toBe(true);
      const second = await call(client, "GET", `/v1/contracts?limit=2&startingAfter=${made[1]}`);
      expect(second.body.data.map((c: any) => c.id)).toEqual(made.slice(2, 4));
      expect(second.body.hasMore).toBe(true);
      const last = await call(client, "GET", `/v1/contracts?limit=2&startingAfter=${made[3]}`);
      expect(last.body).toMatchObject({ hasMore: false, data: [{ id: made[4] }] });
      expect((await call(client, "GET", "/v1/contracts?limit=100")).body.data).toHaveLength(5);
      const defaults = await call(client, "GET", "/v1/contracts");
      expect(defaults.body.data).toHaveLength(5);

      expectError(
        await call(client, "GET", "/v1/contracts?limit=0"),
        400,
        "validation_failed",
        "limit",
      );
      expectError(
        await call(client, "GET", "/v1/contracts?limit=101"),
        400,
        "validation_failed",
        "limit",
      );
      expectError(
        await call(client, "GET", "/v1/contracts?startingAfter=ctr_unknown"),
        400,
        "validation_failed",
        "startingAfter",
      );
    });
  });

  describe("GET /v1/contracts/:id", () => {
    it("R2: both parties and staff read the contract; anyone else gets 404 not_found", async () => {
      const { client, freelancer, id } = await activeContract(server);
      const staff = await server.staff();
      const stranger = await server.signUp("Nosy");
      for (const who of [client, freelancer, staff]) {
        const answer = await call(who, "GET", `/v1/contracts/${id}`);
        expect(answer.status).toBe(200);
        expect(answer.body.id).toBe(id);
      }
      expectError(await call(stranger, "GET", `/v1/contracts/${id}`), 404, "not_found");
      expectError(await call(client, "GET", "/v1/contracts/ctr_does_not_exist"), 404, "not_found");
    });
  });

  describe("accept, decline, withdraw, end", () => {
    it("R8, R9: the freelancer accepts an offer: `active` with acceptedAt; accepting again, declining or withdrawing it then is 409 invalid_state", async () => {
      const { client, freelancer } = await parties(server);
      const made = await offer(server, client, freelancer);
      const accepted = await call(freelancer, "POST", `/v1/contracts/${made.id}/accept`);
      expect(accepted.status).toBe(200);
      expect(accepted.body.status).toBe("active");
      expect(accepted.body.acceptedAt).not.toBeNull();
      expect(accepted.body.escrowBalance).toBe(10_000);
      expectError(
        await call(freelancer, "POST", `/v1/contracts/${made.id}/accept`),
        409,
        "invalid_state",
      );
      expectError(
        await call(freelancer, "POST", `/v1/contracts/${made.id}/decline`),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "POST", `/v1/contracts/${made.id}/withdraw`),
        409,
        "invalid_state",
      );
      expectError(await call(client, "POST", `/v1/contracts/${made.id}/accept`), 403, "forbidden");
    });

    it("R8: a declined offer is `declined`, its escrow refunded at once: funded milestone `refunded`, the others `cancelled`", async () => {
      const { client, freelancer } = await parties(server);
      const made = await offer(server, client, freelancer, [7_000, 3_000, 1_000]);
      expectError(await call(client, "POST", `/v1/contracts/${made.id}/decline`), 403, "forbidden");
      const declined = await call(freelancer, "POST", `/v1/contracts/${made.id}/decline`);
      expect(declined.status).toBe(200);
      expect(declined.body).toMatchObject({ status: "declined", escrowBalance: 0 });
      expect(declined.body.endedAt).not.toBeNull();
      expect(declined.body.milestones.map((m: any) => m.status)).toEqual([
        "refunded",
        "cancelled",
        "cancelled",
      ]);
      expect(await moneyOf(server, client)).toEqual([
        ["escrow_refund", 7_000],
        ["escrow_deposit", -7_000],
      ]);
      expectError(
        await call(freelancer, "POST", `/v1/contracts/${made.id}/accept`),
        409,
        "invalid_state",
      );
      expectError(
        await call(freelancer, "POST", `/v1/contracts/${made.id}/decline`),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "POST", `/v1/contracts/${made.id}/withdraw`),
        409,
        "invalid_state",
      );
    });

    it("R8: the client withdraws an offer: `withdrawn`, escrow refunded at once; the freelancer can no longer accept (409)", async () => {
      const { client, freelancer } = await parties(server);
      const made = await offer(server, client, freelancer, [4_000, 1_000]);
      expectError(
        await call(freelancer, "POST", `/v1/contracts/${made.id}/withdraw`),
        403,
        "forbidden",
      );
      const withdrawn = await call(client, "POST", `/v1/contracts/${made.id}/withdraw`);
      expect(withdrawn.status).toBe(200);
      expect(withdrawn.body).toMatchObject({ status: "withdrawn", escrowBalance: 0 });
      expect(withdrawn.body.milestones.map((m: any) => m.status)).toEqual([
        "refunded",
        "cancelled",
      ]);
      expect(await moneyOf(server, client)).toEqual([
        ["escrow_refund", 4_000],
        ["escrow_deposit", -4_000],
      ]);
      expectError(
        await call(freelancer, "POST", `/v1/contracts/${made.id}/accept`),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "POST", `/v1/contracts/${made.id}/withdraw`),
        409,
        "invalid_state",
      );
      expectError(await call(client, "POST", `/v1/contracts/${made.id}/end`), 409, "invalid_state");
    });

    it("R9: an offer cannot be ended (409); the client ends an active contract: unfunded milestones cancelled, the escrow stays", async () => {
      const { client, freelancer } = await parties(server);
      const made = await offer(server, client, freelancer, [6_000, 2_000]);
      expectError(await call(client, "POST", `/v1/contracts/${made.id}/end`), 409, "invalid_state");
      await call(freelancer, "POST", `/v1/contracts/${made.id}/accept`);
      const ended = await call(client, "POST", `/v1/contracts/${made.id}/end`, {
        reason: "Budget cut",
      });
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ status: "ended", escrowBalance: 6_000 });
      expect(ended.body.endedAt).not.toBeNull();
      expect(ended.body.milestones.map((m: any) => m.status)).toEqual(["funded", "cancelled"]);
      expect(await moneyOf(server, client)).toEqual([["escrow_deposit", -6_000]]);
      expectError(await call(client, "POST", `/v1/contracts/${made.id}/end`), 409, "invalid_state");
      expectError(
        await call(freelancer, "POST", `/v1/contracts/${made.id}/end`),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "POST", `/v1/contracts/${made.id}/end`, { reason: 5 }),
        400,
        "validation_failed",
        "reason",
      );
    });

    it("R9: the freelancer ends an active contract and gives up the escrow (refunded at once); not while a submission awaits review (409)", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [5_000, 1_000]);
      await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "Done" });
      expectError(await call(freelancer, "POST", `/v1/contracts/${id}/end`), 409, "invalid_state");
      await call(client, "POST", `/v1/milestones/${milestones[0]}/request-changes`, {
        message: "Not yet",
      });
      const ended = await call(freelancer, "POST", `/v1/contracts/${id}/end`, {
        reason: "Moving on",
      });
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ status: "ended", escrowBalance: 0 });
      expect(ended.body.milestones.map((m: any) => m.status)).toEqual(["refunded", "cancelled"]);
      expect(await moneyOf(server, client)).toEqual([
        ["escrow_refund", 5_000],
        ["escrow_deposit", -5_000],
      ]);
      expect(await moneyOf(server, freelancer)).toEqual([]);
    });

    it("R9: after the client ends, no new submission and no request for changes (409), but the client may still release", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [5_000]);
      await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "v1" });
      await call(client, "POST", `/v1/contracts/${id}/end`);
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/request-changes`, {
          message: "More",
        }),
        409,
        "invalid_state",
      );
      const state = await contractOf(server, client, id);
      expect(state.milestones[0].status).toBe("submitted");
      expect(state.milestones[0].autoApproveAt).not.toBeNull();
      const released = await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`);
      expect(released.body).toMatchObject({ status: "paid", releasedAmount: 5_000 });
      expect(await moneyOf(server, freelancer)).toEqual([["milestone_payment", 5_000]]);

      const other = await activeContract(server, [3_000]);
      await call(other.client, "POST", `/v1/contracts/${other.id}/end`);
      expectError(
        await call(other.freelancer, "POST", `/v1/milestones/${other.milestones[0]}/submit`, {
          message: "Late",
        }),
        409,
        "invalid_state",
      );
    });
  });

  describe("GET /v1/contracts/:id/events", () => {
    it("R22: the history is oldest first, each with type, actor {kind, userId}, createdAt and data, and pages like every list", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [5_000, 1_000]);
      await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "Done" });
      await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`);
      const all = await call(freelancer, "GET", `/v1/contracts/${id}/events`);
      expect(all.status).toBe(200);
      expect(all.body.hasMore).toBe(false);
      const events = all.body.data;
      expect(events.map((e: any) => e.type)).toEqual([
        "contract.offered",
        "milestone.funded",
        "contract.accepted",
        "milestone.submitted",
        "milestone.approved",
      ]);
      expect(events[0].actor).toEqual({ kind: "user", userId: client.id });
      expect(events[2].actor).toEqual({ kind: "user", userId: freelancer.id });
      for (const event of events) {
        expect(typeof event.id).toBe("string");
        expect(new Date(event.createdAt).toISOString()).toBe(event.createdAt);
        expect(typeof event.data).toBe("object");
      }
      expect(events[4].data).toMatchObject({ milestoneId: milestones[0], releasedAmount: 5_000 });

      const staff = await server.staff();
      expect((await call(staff, "GET", `/v1/contracts/${id}/events`)).body.data).toHaveLength(5);

      const page1 = await call(client, "GET", `/v1/contracts/${id}/events?limit=2`);
      expect(page1.body.data.map((e: any) => e.id)).toEqual(
        events.slice(0, 2).map((e: any) => e.id),
      );
      expect(page1.body.hasMore).toBe(true);
      const page2 = await call(
        client,
        "GET",
        `/v1/contracts/${id}/events?limit=2&startingAfter=${events[1].id}`,
      );
      expect(page2.body.data.map((e: any) => e.id)).toEqual(
        events.slice(2, 4).map((e: any) => e.id),
      );
      const page3 = await call(
        client,
        "GET",
        `/v1/contracts/${id}/events?limit=2&startingAfter=${events[3].id}`,
      );
      expect(page3.body).toMatchObject({ hasMore: false, data: [{ id: events[4].id }] });
      expectError(
        await call(client, "GET", `/v1/contracts/${id}/events?limit=0`),
        400,
        "validation_failed",
        "limit",
      );
      expectError(
        await call(client, "GET", `/v1/contracts/${id}/events?limit=101`),
        400,
        "validation_failed",
        "limit",
      );
      expectError(
        await call(client, "GET", `/v1/contracts/${id}/events?startingAfter=evt_nope`),
        400,
        "validation_failed",
        "startingAfter",
      );
    });

    it("R22, R23: a rule the system ran is recorded with actor {kind: system}", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [2_000]);
      await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "Done" });
      await server.advanceDays(14);
      const events = (await call(client, "GET", `/v1/contracts/${id}/events`)).body.data;
      const auto = events.find((e: any) => e.type === "milestone.auto_approved");
      expect(auto.actor).toEqual({ kind: "system" });
      expect(events[events.length - 1].type).toBe("milestone.auto_approved");
    });
  });
});
