/**
 * In-app notifications (API.md "Notifications and webhooks"): both parties except the one who
 * acted; the unread filter, marking read, paging, and someone else's notification answering 404.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, offer, type TestServer, type TestUser } from "../support/server.js";

describe.each(DIALECTS)("in-app notifications (%s)", (dialect) => {
  let server: TestServer;
  let client: TestUser;
  let freelancer: TestUser;
  beforeEach(async () => {
    server = await createTestServer(dialect);
    client = await server.signUp("Carol");
    freelancer = await server.signUp("Frank", { card: null });
  });
  afterEach(() => server.close());

  const list = async (user: TestUser, query = "") => {
    const answer = await server.request("GET", `/v1/notifications${query}`, { token: user.token });
    expect(answer.status).toBe(200);
    return answer.body as { data: any[]; hasMore: boolean };
  };

  it("R22: notifications go to both parties except the one who acted; system actions reach both", async () => {
    const contract = await offer(server, client, freelancer, [10_000]);
    // Listed at once, without waiting for a dispatch pass.
    expect((await list(client)).data).toEqual([]);
    const offered = (await list(freelancer)).data;
    expect(offered).toHaveLength(1);
    expect(offered[0]).toEqual({
      id: expect.stringMatching(/^ntf_/),
      type: "contract.offered",
      contractId: contract.id,
      message: `Carol sent you an offer "Logo and website" with 1 milestone(s); the first is funded in escrow.`,
      createdAt: expect.any(String),
      readAt: null,
    });
    await server.request("POST", `/v1/contracts/${contract.id}/accept`, {
      token: freelancer.token,
    });
    await server.request("POST", `/v1/milestones/${contract.milestones[0].id}/submit`, {
      token: freelancer.token,
      body: { message: "Done" },
    });
    expect((await list(client)).data.map((n) => n.type)).toEqual([
      "milestone.submitted",
      "contract.accepted",
    ]);
    expect((await list(freelancer)).data.map((n) => n.type)).toEqual(["contract.offered"]);
    // R14: the reminders and the automatic approval are the system's: both parties hear.
    await server.advanceDays(11);
    await server.advanceDays(2);
    await server.advanceDays(1);
    for (const user of [client, freelancer]) {
      expect((await list(user)).data.slice(0, 3).map((n) => n.type)).toEqual([
        "milestone.auto_approved",
        "milestone.auto_approval_reminder",
        "milestone.auto_approval_reminder",
      ]);
    }
    const released = (await list(freelancer)).data[0];
    expect(released.message).toContain("$100.00");
  });

  it("R19, R22: a dispute opened notifies the dispute team too; its resolution and other events only the parties", async () => {
    const staff = await server.staff();
    const bystander = await server.signUp("Sam", { card: null });
    const contract = await offer(server, client, freelancer, [10_000]);
    const act = (user: TestUser, url: string, body: unknown = {}) =>
      server.request("POST", url, { token: user.token, body });
    await act(freelancer, `/v1/contracts/${contract.id}/accept`);
    await act(client, `/v1/contracts/${contract.id}/end`);
    const refund = await act(client, `/v1/contracts/${contract.id}/refund-requests`);
    expect(refund.status).toBe(201);
    expect((await list(staff)).data).toEqual([]);
    const disputed = await act(freelancer, `/v1/refund-requests/${refund.body.id}/dispute`, {
      reason: "The work was done",
    });
    expect(disputed.status).toBe(200);
    const heard = (await list(staff)).data;
    expect(heard).toEqual([
      {
        id: expect.stringMatching(/^ntf_/),
        type: "refund_request.disputed",
        contractId: contract.id,
        message: `Frank disputed the refund of $100.00 on "Logo and website": The work was done`,
        createdAt: expect.any(String),
        readAt: null,
      },
    ]);
    expect((await list(client)).data[0].type).toBe("refund_request.disputed");
    // The freelancer acted, and someone outside the contract hears nothing.
    expect((await list(freelancer)).data.map((n) => n.type)).not.toContain(
      "refund_request.disputed",
    );
    expect((await list(bystander)).data).toEqual([]);
    const resolved = await act(staff, `/v1/disputes/${disputed.body.disputeId}/resolve`, {
      refundAmount: 4_000,
      releaseAmount: 6_000,
      reason: "Part of it was delivered",
    });
    expect(resolved.status).toBe(200);
    expect((await list(staff)).data).toHaveLength(1);
    for (const user of [client, freelancer])
      expect((await list(user)).data[0].type).toBe("dispute.resolved");
  });

  it("R2: the unread filter, marking read (once), paging, and someone else's id answering 404", async () => {
    const contract = await offer(server, client, freelancer);
    await server.request("POST", `/v1/contracts/${contract.id}/accept`, {
      token: freelancer.token,
    });
    await server.request("POST", `/v1/milestones/${contract.milestones[0].id}/due-date-changes`, {
      token: client.token,
      body: { dueDate: "2031-06-30" },
    });
    const all = await list(freelancer);
    expect(all.data.map((n) => n.type)).toEqual(["due_date_change.proposed", "contract.offered"]);
    const [proposal, offered] = all.data;
    expect(proposal.message).toContain("30 Jun 2031");

    const read = await server.request("POST", `/v1/notifications/${offered.id}/read`, {
      token: freelancer.token,
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: offered.id, readAt: expect.any(String) });
    await server.advanceDays(1);
    const again = await server.request("POST", `/v1/notifications/${offered.id}/read`, {
      token: freelancer.token,
    });
    expect(again.body.readAt).toBe(read.body.readAt);

    expect((await list(freelancer, "?unread=true")).data.map((n) => n.id)).toEqual([proposal.id]);
    expect((await list(freelancer, "?unread=false")).data).toHaveLength(2);
    const page1 = await list(freelancer, "?limit=1");
    expect(page1).toMatchObject({ data: [{ id: proposal.id }], hasMore: true });
    const page2 = await list(freelancer, `?limit=1&startingAfter=${proposal.id}`);
    expect(page2).toMatchObject({ data: [{ id: offered.id }], hasMore: false });
    const badCursor = await server.request("GET", "/v1/notifications?startingAfter=ntf_nope", {
      token: freelancer.token,
    });
    expect(badCursor.status).toBe(400);

    // Someone else's notification is exactly like a missing one, for the other party, a
    // stranger and staff alike.
    const stranger = await server.signUp("Sam");
    const staff = await server.staff();
    for (const user of [client, stranger, staff]) {
      const answer = await server.request("POST", `/v1/notifications/${proposal.id}/read`, {
        token: user.token,
      });
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe("not_found");
    }
    const missing = await server.request("POST", "/v1/notifications/ntf_missing/read", {
      token: freelancer.token,
    });
    expect(missing.status).toBe(404);
    expect((await list(freelancer, "?unread=true")).data.map((n) => n.id)).toEqual([proposal.id]);
    const anonymous = await server.request("GET", "/v1/notifications");
    expect(anonymous.status).toBe(401);
  });
});
