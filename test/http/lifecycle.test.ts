import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, offer, type TestServer } from "../support/server.js";

describe.each(DIALECTS)("a whole contract over HTTP (%s)", (dialect) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(dialect);
  });
  afterEach(() => server.close());

  it("R1, R7, R11-R15, R17-R19, R21, R22: from sign-up to the CSV export", async () => {
    const client = await server.signUp("Carol");
    const freelancer = await server.signUp("Frank", { card: null });
    const staff = await server.staff();
    const contract = await offer(server, client, freelancer, [100_00, 300_00, 80_00]);
    expect(contract.status).toBe("offered");
    expect(contract.escrowBalance).toBe(100_00);
    const [design, build, launch] = contract.milestones.map((m: { id: string }) => m.id);

    const call = (token: string, method: string, url: string, body?: unknown) =>
      server.request(method, url, { token, body });
    expect(
      (await call(freelancer.token, "POST", `/v1/contracts/${contract.id}/accept`)).body.status,
    ).toBe("active");
    const submitted = await call(freelancer.token, "POST", `/v1/milestones/${design}/submit`, {
      message: "Mock-ups",
      links: ["https://example.com/a"],
    });
    expect(submitted.body.status).toBe("submitted");
    expect(submitted.body.autoApproveAt).not.toBeNull();
    expect(
      (
        await call(client.token, "POST", `/v1/milestones/${design}/request-changes`, {
          message: "Bigger",
        })
      ).body.status,
    ).toBe("changes_requested");
    await call(freelancer.token, "POST", `/v1/milestones/${design}/submit`, { message: "v2" });
    const approved = await call(client.token, "POST", `/v1/milestones/${design}/approve`, {
      amount: 80_00,
    });
    expect(approved.body).toMatchObject({ status: "paid", releasedAmount: 80_00 });
    const funded = await call(client.token, "POST", `/v1/milestones/${build}/fund`);
    expect(funded.body).toMatchObject({ status: "funded", fundedAmount: 300_00 });
    await call(freelancer.token, "POST", `/v1/milestones/${build}/submit`, { message: "Built" });
    await server.advanceDays(14);
    const afterClock = await call(client.token, "GET", `/v1/contracts/${contract.id}`);
    expect(afterClock.body.milestones[1]).toMatchObject({ status: "paid", releasedAmount: 300_00 });
    await call(client.token, "POST", `/v1/milestones/${launch}/fund`);
    expect(
      (
        await call(client.token, "POST", `/v1/contracts/${contract.id}/end`, {
          reason: "Postponed",
        })
      ).body.status,
    ).toBe("ended");
    const refund = await call(
      client.token,
      "POST",
      `/v1/contracts/${contract.id}/refund-requests`,
      { reason: "Not started" },
    );
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ amount: 80_00, status: "pending" });
    const disputed = await call(
      freelancer.token,
      "POST",
      `/v1/refund-requests/${refund.body.id}/dispute`,
      { reason: "Checklist delivered" },
    );
    expect(disputed.body.status).toBe("disputed");
    const resolved = await call(
      staff.token,
      "POST",
      `/v1/disputes/${disputed.body.disputeId}/resolve`,
      {
        refundAmount: 30_00,
        releaseAmount: 50_00,
        reason: "Half done",
      },
    );
    expect(resolved.body).toMatchObject({
      status: "resolved",
      resolution: { refundAmount: 30_00, releaseAmount: 50_00 },
    });

    const events = await call(client.token, "GET", `/v1/contracts/${contract.id}/events?limit=100`);
    const types = events.body.data.map((e: { type: string }) => e.type);
    expect(types).toContain("milestone.auto_approved");
    expect(
      events.body.data.find((e: { type: string }) => e.type === "milestone.auto_approved").actor,
    ).toEqual({ kind: "system" });

    const mine = await call(client.token, "GET", "/v1/transactions?limit=100");
    const amounts = mine.body.data.map((t: { type: string; amount: number }) => [t.type, t.amount]);
    expect(amounts).toEqual([
      ["dispute_refund", 30_00],
      ["escrow_deposit", -80_00],
      ["escrow_deposit", -280_00],
      ["escrow_deposit", -100_00],
    ]);
    const earned = await call(freelancer.token, "GET", "/v1/transactions?limit=100");
    expect(earned.body.data.reduce((t: number, r: { amount: number }) => t + r.amount, 0)).toBe(
      80_00 + 300_00 + 50_00,
    );

    const csv = await call(client.token, "GET", "/v1/transactions/export.csv");
    expect(csv.status).toBe(200);
    expect(String(csv.headers["content-type"])).toContain("text/csv");
    const lines = csv.text.trim().split("\r\n");
    expect(lines[0]).toBe(
      "id,createdAt,type,description,contractId,milestoneId,amount,currency,status",
    );
    expect(lines).toHaveLength(5);
    expect(await server.violations()).toEqual([]);
  });
});
