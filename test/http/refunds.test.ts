/** Refund requests and disputes over HTTP (API.md "Refunds and disputes", R17-R20). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, type TestServer, type TestUser } from "../support/server.js";
import {
  activeContract,
  caller,
  contractOf,
  endedWithEscrow,
  expectError,
  moneyOf,
  postingCount,
  type Call,
} from "./http-helpers.js";

const DAY_MS = 86_400_000;

describe.each(DIALECTS)("refunds and disputes over HTTP (%s)", (dialect) => {
  let server: TestServer;
  let call: Call;
  let staff: TestUser;
  beforeAll(async () => {
    server = await createTestServer(dialect);
    call = caller(server);
    staff = await server.staff();
  });
  afterAll(async () => {
    expect(await server.violations()).toEqual([]);
    await server.close();
  });

  const requestRefund = (user: TestUser, contractId: string, body?: unknown) =>
    call(user, "POST", `/v1/contracts/${contractId}/refund-requests`, body);

  /** An ended contract with 10,000 in escrow, a refund request and its dispute. */
  async function disputed(amounts = [10_000]) {
    const ended = await endedWithEscrow(server, amounts);
    const refund = await requestRefund(ended.client, ended.id, { reason: "Nothing delivered" });
    const answer = await call(
      ended.freelancer,
      "POST",
      `/v1/refund-requests/${refund.body.id}/dispute`,
      { reason: "Half was delivered" },
    );
    expect(answer.status).toBe(200);
    return {
      ...ended,
      refundRequestId: refund.body.id as string,
      disputeId: answer.body.disputeId as string,
    };
  }

  describe("POST /v1/contracts/:id/refund-requests", () => {
    it("R17, R18: after the client ends, a refund of all the escrow is requested: 201 pending with respondBy 7 days later", async () => {
      const { client, freelancer, id } = await endedWithEscrow(server);
      expectError(await requestRefund(freelancer, id), 403, "forbidden");
      const created = await requestRefund(client, id, { reason: "Work stopped" });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ contractId: id, amount: 10_000, status: "pending" });
      expect(typeof created.body.id).toBe("string");
      const now = Date.parse((await call(undefined, "GET", "/v1/test-clock")).body.now);
      expect(Date.parse(created.body.respondBy) - now).toBe(7 * DAY_MS);
      expect((await contractOf(server, freelancer, id)).escrowBalance).toBe(10_000);
    });

    it("R17: a request before the contract has ended is 409 invalid_state", async () => {
      const { client, id } = await activeContract(server);
      expectError(await requestRefund(client, id), 409, "invalid_state");
    });

    it("R17: a request when the escrow is empty is 409 invalid_state", async () => {
      const { client, id, milestones } = await activeContract(server, [3_000]);
      await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`);
      await call(client, "POST", `/v1/contracts/${id}/end`);
      expectError(await requestRefund(client, id), 409, "invalid_state");

      const byFreelancer = await activeContract(server, [3_000]);
      await call(byFreelancer.freelancer, "POST", `/v1/contracts/${byFreelancer.id}/end`);
      expectError(await requestRefund(byFreelancer.client, byFreelancer.id), 409, "invalid_state");
    });

    it("R17: at most one open (pending or disputed) request per contract: a second is 409", async () => {
      const { client, freelancer, id } = await endedWithEscrow(server);
      const first = await requestRefund(client, id);
      expect(first.status).toBe(201);
      expectError(await requestRefund(client, id), 409, "invalid_state");
      await call(freelancer, "POST", `/v1/refund-requests/${first.body.id}/dispute`, {
        reason: "No",
      });
      expectError(await requestRefund(client, id), 409, "invalid_state");
    });

    it("R17: while a request is open the escrow is frozen: the client cannot release it (409)", async () => {
      const { client, id, milestones } = await endedWithEscrow(server);
      await requestRefund(client, id);
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`),
        409,
        "invalid_state",
      );
      expect((await contractOf(server, client, id)).escrowBalance).toBe(10_000);
    });
  });

  describe("GET refund requests", () => {
    it("R2, R17: parties and staff read a request and the contract's list, newest first, paged", async () => {
      const { client, freelancer, id } = await endedWithEscrow(server);
      const first = await requestRefund(client, id, { reason: "One" });
      await call(client, "POST", `/v1/refund-requests/${first.body.id}/cancel`);
      const second = await requestRefund(client, id, { reason: "Two" });
      for (const who of [client, freelancer, staff]) {
        const one = await call(who, "GET", `/v1/refund-requests/${second.body.id}`);
        expect(one.status).toBe(200);
        expect(one.body).toMatchObject({
          id: second.body.id,
          contractId: id,
          amount: 10_000,
          status: "pending",
        });
        const list = await call(who, "GET", `/v1/contracts/${id}/refund-requests`);
        expect(list.body.data.map((r: any) => [r.id, r.status])).toEqual([
          [second.body.id, "pending"],
          [first.body.id, "cancelled"],
        ]);
        expect(list.body.hasMore).toBe(false);
      }
      const page = await call(client, "GET", `/v1/contracts/${id}/refund-requests?limit=1`);
      expect(page.body).toMatchObject({ hasMore: true, data: [{ id: second.body.id }] });
      const rest = await call(
        client,
        "GET",
        `/v1/contracts/${id}/refund-requests?limit=1&startingAfter=${second.body.id}`,
      );
      expect(rest.body).toMatchObject({ hasMore: false, data: [{ id: first.body.id }] });
      expectError(
        await call(client, "GET", `/v1/contracts/${id}/refund-requests?startingAfter=rfd_nope`),
        400,
        "validation_failed",
        "startingAfter",
      );
      const stranger = await server.signUp("Stranger");
      expectError(
        await call(stranger, "GET", `/v1/refund-requests/${second.body.id}`),
        404,
        "not_found",
      );
    });
  });

  describe("answers to a refund request", () => {
    it("R18: the freelancer approves: `approved`, the money goes back to the client and the milestones are refunded; answering again is 409", async () => {
      const { client, freelancer, id } = await endedWithEscrow(server, [10_000, 2_000]);
      const request = await requestRefund(client, id);
      expectError(
        await call(client, "POST", `/v1/refund-requests/${request.body.id}/approve`),
        403,
        "forbidden",
      );
      const approved = await call(
        freelancer,
        "POST",
        `/v1/refund-requests/${request.body.id}/approve`,
      );
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({
        id: request.body.id,
        status: "approved",
        amount: 10_000,
      });
      const contract = await contractOf(server, client, id);
      expect(contract.escrowBalance).toBe(0);
      expect(contract.milestones.map((m: any) => m.status)).toEqual(["refunded", "cancelled"]);
      expect(await moneyOf(server, client)).toEqual([
        ["escrow_refund", 10_000],
        ["escrow_deposit", -10_000],
      ]);
      expectError(
        await call(freelancer, "POST", `/v1/refund-requests/${request.body.id}/approve`),
        409,
        "invalid_state",
      );
      expectError(
        await call(freelancer, "POST", `/v1/refund-requests/${request.body.id}/dispute`, {
          reason: "Late",
        }),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "POST", `/v1/refund-requests/${request.body.id}/cancel`),
        409,
        "invalid_state",
      );
    });

    it("R18: an unanswered request is approved automatically after 7 days", async () => {
      const { client, id } = await endedWithEscrow(server, [8_000]);
      const request = await requestRefund(client, id);
      await server.advanceDays(6.9);
      expect(
        (await call(client, "GET", `/v1/refund-requests/${request.body.id}`)).body.status,
      ).toBe("pending");
      await server.advanceDays(0.1);
      expect(
        (await call(client, "GET", `/v1/refund-requests/${request.body.id}`)).body.status,
      ).toBe("auto_approved");
      expect(await moneyOf(server, client, id)).toEqual([
        ["escrow_refund", 8_000],
        ["escrow_deposit", -8_000],
      ]);
    });

    it("R18, R19: the freelancer disputes: the request answers `disputed` with disputeId, and the money stays frozen", async () => {
      const { client, freelancer, id } = await endedWithEscrow(server);
      const request = await requestRefund(client, id);
      expectError(
        await call(client, "POST", `/v1/refund-requests/${request.body.id}/dispute`, {
          reason: "Me",
        }),
        403,
        "forbidden",
      );
      expectError(
        await call(freelancer, "POST", `/v1/refund-requests/${request.body.id}/dispute`, {}),
        400,
        "validation_failed",
        "reason",
      );
      const answer = await call(
        freelancer,
        "POST",
        `/v1/refund-requests/${request.body.id}/dispute`,
        { reason: "Delivered" },
      );
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: request.body.id, status: "disputed" });
      expect(typeof answer.body.disputeId).toBe("string");
      const dispute = await call(client, "GET", `/v1/disputes/${answer.body.disputeId}`);
      expect(dispute.body).toMatchObject({
        id: answer.body.disputeId,
        refundRequestId: request.body.id,
        contractId: id,
        amount: 10_000,
        status: "open",
        resolution: null,
      });
      await server.advanceDays(8);
      expect(
        (await call(client, "GET", `/v1/refund-requests/${request.body.id}`)).body.status,
      ).toBe("disputed");
      expect((await contractOf(server, client, id)).escrowBalance).toBe(10_000);
    });

    it("R20: the client cancels a pending request: `cancelled`, the money stays in escrow and may then be released", async () => {
      const { client, freelancer, id, milestones } = await endedWithEscrow(server);
      const request = await requestRefund(client, id);
      expectError(
        await call(freelancer, "POST", `/v1/refund-requests/${request.body.id}/cancel`),
        403,
        "forbidden",
      );
      const before = await postingCount(server);
      const cancelled = await call(client, "POST", `/v1/refund-requests/${request.body.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ id: request.body.id, status: "cancelled" });
      expect(await postingCount(server)).toBe(before);
      expect((await contractOf(server, client, id)).escrowBalance).toBe(10_000);
      expectError(
        await call(client, "POST", `/v1/refund-requests/${request.body.id}/cancel`),
        409,
        "invalid_state",
      );
      expectError(
        await call(freelancer, "POST", `/v1/refund-requests/${request.body.id}/approve`),
        409,
        "invalid_state",
      );
      const released = await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`);
      expect(released.body.status).toBe("paid");
    });

    it("R17, R20: a disputed request cannot be cancelled (409) and keeps the money frozen", async () => {
      const { client, id, refundRequestId, milestones } = await disputed();
      expectError(
        await call(client, "POST", `/v1/refund-requests/${refundRequestId}/cancel`),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`),
        409,
        "invalid_state",
      );
      expect(
        (await call(client, "GET", `/v1/refund-requests/${refundRequestId}`)).body.status,
      ).toBe("disputed");
      expect((await contractOf(server, client, id)).escrowBalance).toBe(10_000);
    });
  });

  describe("disputes", () => {
    it("R2, R19: GET /v1/disputes: staff see all, a party their own, a stranger none; ?status filters", async () => {
      const one = await disputed();
      const two = await disputed();
      const resolved = await call(staff, "POST", `/v1/disputes/${two.disputeId}/resolve`, {
        refundAmount: 10_000,
        releaseAmount: 0,
        reason: "Refund all",
      });
      expect(resolved.status).toBe(200);
      const stranger = await server.signUp("Outsider");

      const ids = async (user: TestUser, query = "") => {
        const answer = await call(user, "GET", `/v1/disputes?limit=100${query}`);
        expect(answer.status).toBe(200);
        return answer.body.data.map((d: { id: string }) => d.id);
      };
      const all = await ids(staff);
      expect(all).toEqual(expect.arrayContaining([one.disputeId, two.disputeId]));
      expect(all.indexOf(two.disputeId)).toBeLessThan(all.indexOf(one.disputeId));
      expect(await ids(one.client)).toEqual([one.disputeId]);
      expect(await ids(one.freelancer)).toEqual([one.disputeId]);
      expect(await ids(two.freelancer)).toEqual([two.disputeId]);
      expect(await ids(stranger)).toEqual([]);
      const open = await ids(staff, "&status=open");
      expect(open).toContain(one.disputeId);
      expect(open).not.toContain(two.disputeId);
      const done = await ids(staff, "&status=resolved");
      expect(done).toContain(two.disputeId);
      expect(done).not.toContain(one.disputeId);
      expect(await ids(two.client, "&status=open")).toEqual([]);
      expect(await ids(two.client, "&status=resolved")).toEqual([two.disputeId]);
      expectError(
        await call(staff, "GET", "/v1/disputes?status=closed"),
        400,
        "validation_failed",
        "status",
      );
      const page = await call(staff, "GET", "/v1/disputes?limit=1");
      expect(page.body.data).toHaveLength(1);
      expect(page.body.hasMore).toBe(true);
    });

    it("R2: GET /v1/disputes/:id for parties and staff; 404 for anyone else", async () => {
      const { client, freelancer, disputeId } = await disputed();
      for (const who of [client, freelancer, staff]) {
        expect((await call(who, "GET", `/v1/disputes/${disputeId}`)).body).toMatchObject({
          id: disputeId,
          status: "open",
        });
      }
      const stranger = await server.signUp("Outsider");
      expectError(await call(stranger, "GET", `/v1/disputes/${disputeId}`), 404, "not_found");
    });

    it("R19, R21: staff resolve with a split: 200 `resolved` with the resolution; the client gets dispute_refund, the freelancer dispute_release", async () => {
      const { client, freelancer, id, disputeId, refundRequestId } = await disputed([
        10_000, 4_000,
      ]);
      expectError(
        await call(client, "POST", `/v1/disputes/${disputeId}/resolve`, {
          refundAmount: 10_000,
          releaseAmount: 0,
          reason: "Mine",
        }),
        403,
        "forbidden",
      );
      const resolved = await call(staff, "POST", `/v1/disputes/${disputeId}/resolve`, {
        refundAmount: 4_000,
        releaseAmount: 6_000,
        reason: "Partly delivered",
      });
      expect(resolved.status).toBe(200);
      expect(resolved.body).toMatchObject({
        id: disputeId,
        status: "resolved",
        amount: 10_000,
        resolution: {
          refundAmount: 4_000,
          releaseAmount: 6_000,
          reason: "Partly delivered",
          resolvedBy: staff.id,
        },
      });
      expect(typeof resolved.body.resolution.resolvedAt).toBe("string");
      // Both parties see the written reason.
      for (const who of [client, freelancer]) {
        expect((await call(who, "GET", `/v1/disputes/${disputeId}`)).body.resolution.reason).toBe(
          "Partly delivered",
        );
      }
      expect(
        (await call(client, "GET", `/v1/refund-requests/${refundRequestId}`)).body.status,
      ).toBe("resolved");
      const contract = await contractOf(server, client, id);
      expect(contract.escrowBalance).toBe(0);
      expect(contract.milestones[0]).toMatchObject({ status: "paid", releasedAmount: 6_000 });
      expect(await moneyOf(server, client, id)).toEqual([
        ["dispute_refund", 4_000],
        ["escrow_deposit", -10_000],
      ]);
      expect(await moneyOf(server, freelancer, id)).toEqual([["dispute_release", 6_000]]);
      const events = (await call(freelancer, "GET", `/v1/contracts/${id}/events?limit=100`)).body
        .data;
      expect(events.at(-1)).toMatchObject({
        type: "dispute.resolved",
        actor: { kind: "staff", userId: staff.id },
      });
    });

    it("R19: a milestone that receives nothing of the release is refunded", async () => {
      const { client, id, disputeId } = await disputed([10_000]);
      await call(staff, "POST", `/v1/disputes/${disputeId}/resolve`, {
        refundAmount: 10_000,
        releaseAmount: 0,
        reason: "Nothing done",
      });
      expect((await contractOf(server, client, id)).milestones[0]).toMatchObject({
        status: "refunded",
        releasedAmount: 0,
      });
    });

    it("R19: a split that does not add up to the disputed amount is 400 on field refundAmount and moves nothing; resolving twice is 409", async () => {
      const { client, disputeId } = await disputed();
      const before = await postingCount(server);
      expectError(
        await call(staff, "POST", `/v1/disputes/${disputeId}/resolve`, {
          refundAmount: 4_000,
          releaseAmount: 5_000,
          reason: "Off",
        }),
        400,
        "validation_failed",
        "refundAmount",
      );
      expectError(
        await call(staff, "POST", `/v1/disputes/${disputeId}/resolve`, {
          refundAmount: 6_000,
          releaseAmount: 5_000,
          reason: "Over",
        }),
        400,
        "validation_failed",
        "refundAmount",
      );
      expectError(
        await call(staff, "POST", `/v1/disputes/${disputeId}/resolve`, {
          refundAmount: 5_000,
          releaseAmount: 5_000,
        }),
        400,
        "validation_failed",
        "reason",
      );
      expect(await postingCount(server)).toBe(before);
      expect((await call(client, "GET", `/v1/disputes/${disputeId}`)).body.status).toBe("open");

      const first = await call(staff, "POST", `/v1/disputes/${disputeId}/resolve`, {
        refundAmount: 5_000,
        releaseAmount: 5_000,
        reason: "Even",
      });
      expect(first.status).toBe(200);
      const after = await postingCount(server);
      expectError(
        await call(staff, "POST", `/v1/disputes/${disputeId}/resolve`, {
          refundAmount: 5_000,
          releaseAmount: 5_000,
          reason: "Even",
        }),
        409,
        "invalid_state",
      );
      expect(await postingCount(server)).toBe(after);
    });
  });
});
