/** Milestones over HTTP (API.md "Milestones"): add, edit, cancel, fund, submit, review, due dates. */
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

const DAY_MS = 86_400_000;

describe.each(DIALECTS)("milestones over HTTP (%s)", (dialect) => {
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

  describe("POST /v1/contracts/:id/milestones", () => {
    it("R10: the client adds a milestone to an active contract: 201, appended after the last one, pending", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [1_000, 2_000]);
      const added = await call(client, "POST", `/v1/contracts/${id}/milestones`, {
        title: "Extra page",
        description: "One more",
        amount: 3_000,
        dueDate: "2031-05-01",
      });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({
        contractId: id,
        position: 3,
        title: "Extra page",
        description: "One more",
        amount: 3_000,
        dueDate: "2031-05-01",
        status: "pending",
        fundedAmount: 0,
        releasedAmount: 0,
        submissions: [],
      });
      const contract = await contractOf(server, freelancer, id);
      expect(contract.milestones.map((m: any) => [m.id, m.position])).toEqual([
        [milestones[0], 1],
        [milestones[1], 2],
        [added.body.id, 3],
      ]);
      expect(await moneyOf(server, client)).toEqual([["escrow_deposit", -1_000]]);
    });

    it("R10: adding to an offer that is not yet accepted is 409; the freelancer may not add (403); a bad amount is 400", async () => {
      const { client, freelancer } = await parties(server);
      const made = await offer(server, client, freelancer);
      expectError(
        await call(client, "POST", `/v1/contracts/${made.id}/milestones`, {
          title: "More",
          amount: 100,
        }),
        409,
        "invalid_state",
      );
      await call(freelancer, "POST", `/v1/contracts/${made.id}/accept`);
      expectError(
        await call(freelancer, "POST", `/v1/contracts/${made.id}/milestones`, {
          title: "Mine",
          amount: 100,
        }),
        403,
        "forbidden",
      );
      expectError(
        await call(client, "POST", `/v1/contracts/${made.id}/milestones`, {
          title: "More",
          amount: 0,
        }),
        400,
        "validation_failed",
        "amount",
      );
      expectError(
        await call(client, "POST", `/v1/contracts/${made.id}/milestones`, {
          title: "More",
          amount: 10_000_000_001,
        }),
        400,
        "validation_failed",
        "amount",
      );
      expectError(
        await call(client, "POST", `/v1/contracts/${made.id}/milestones`, { amount: 100 }),
        400,
        "validation_failed",
        "title",
      );
      expect((await contractOf(server, client, made.id)).milestones).toHaveLength(2);
    });

    it("R10: nothing can be added to an ended contract (409)", async () => {
      const { client, id } = await activeContract(server);
      await call(client, "POST", `/v1/contracts/${id}/end`);
      expectError(
        await call(client, "POST", `/v1/contracts/${id}/milestones`, {
          title: "After",
          amount: 100,
        }),
        409,
        "invalid_state",
      );
    });
  });

  describe("PATCH /v1/milestones/:id", () => {
    it("R10: the client changes amount and description of an unfunded milestone; the title and position never change (400)", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [1_000, 2_000]);
      const edited = await call(client, "PATCH", `/v1/milestones/${milestones[1]}`, {
        amount: 2_500,
        description: "Bigger scope",
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({
        id: milestones[1],
        amount: 2_500,
        description: "Bigger scope",
        title: "Milestone 2",
        position: 2,
        status: "pending",
      });
      const onlyAmount = await call(client, "PATCH", `/v1/milestones/${milestones[1]}`, {
        amount: 2_600,
      });
      expect(onlyAmount.body).toMatchObject({ amount: 2_600, description: "Bigger scope" });

      expectError(
        await call(client, "PATCH", `/v1/milestones/${milestones[1]}`, { title: "Renamed" }),
        400,
        "validation_failed",
        "title",
      );
      expectError(
        await call(client, "PATCH", `/v1/milestones/${milestones[1]}`, { position: 1 }),
        400,
        "validation_failed",
        "position",
      );
      expectError(
        await call(client, "PATCH", `/v1/milestones/${milestones[1]}`, { amount: -5 }),
        400,
        "validation_failed",
        "amount",
      );
      expectError(
        await call(freelancer, "PATCH", `/v1/milestones/${milestones[1]}`, { amount: 9 }),
        403,
        "forbidden",
      );
      const after = await contractOf(server, client, id);
      expect(after.milestones[1]).toMatchObject({
        title: "Milestone 2",
        position: 2,
        amount: 2_600,
      });
      const events = (await call(client, "GET", `/v1/contracts/${id}/events`)).body.data;
      expect(events.filter((e: any) => e.type === "milestone.updated")).toHaveLength(2);
    });

    it("R10: a funded milestone cannot be edited (409) and keeps its amount", async () => {
      const { client, id, milestones } = await activeContract(server, [1_000, 2_000]);
      expectError(
        await call(client, "PATCH", `/v1/milestones/${milestones[0]}`, { amount: 5 }),
        409,
        "invalid_state",
      );
      expect((await contractOf(server, client, id)).milestones[0]).toMatchObject({
        amount: 1_000,
        fundedAmount: 1_000,
      });
    });
  });

  describe("POST /v1/milestones/:id/cancel", () => {
    it("R10: the client cancels an unfunded milestone: `cancelled`, and it stays in the list; a funded or cancelled one is 409", async () => {
      const { client, freelancer, id, milestones } = await activeContract(
        server,
        [1_000, 2_000, 3_000],
      );
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${milestones[1]}/cancel`),
        403,
        "forbidden",
      );
      const cancelled = await call(client, "POST", `/v1/milestones/${milestones[1]}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({
        id: milestones[1],
        status: "cancelled",
        fundedAmount: 0,
      });
      expect((await contractOf(server, client, id)).milestones.map((m: any) => m.status)).toEqual([
        "funded",
        "cancelled",
        "pending",
      ]);
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[1]}/cancel`),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/cancel`),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "PATCH", `/v1/milestones/${milestones[1]}`, { amount: 5 }),
        409,
        "invalid_state",
      );
    });
  });

  describe("POST /v1/milestones/:id/fund", () => {
    it("R11: milestones are funded one at a time, in order: out of order or while another is funded is 409; after paid or cancelled it works", async () => {
      const { client, freelancer, id, milestones } = await activeContract(
        server,
        [1_000, 2_000, 3_000],
      );
      const [first, second, third] = milestones as [string, string, string];
      expectError(
        await call(client, "POST", `/v1/milestones/${second}/fund`),
        409,
        "invalid_state",
      );
      expectError(await call(client, "POST", `/v1/milestones/${third}/fund`), 409, "invalid_state");
      expectError(await call(client, "POST", `/v1/milestones/${first}/fund`), 409, "invalid_state");
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${second}/fund`),
        403,
        "forbidden",
      );

      await call(client, "POST", `/v1/milestones/${first}/approve`);
      expectError(await call(client, "POST", `/v1/milestones/${third}/fund`), 409, "invalid_state");
      await call(client, "POST", `/v1/milestones/${second}/cancel`);
      const funded = await call(client, "POST", `/v1/milestones/${third}/fund`);
      expect(funded.status).toBe(200);
      expect(funded.body).toMatchObject({
        id: third,
        status: "funded",
        fundedAmount: 3_000,
        releasedAmount: 0,
      });
      expect((await contractOf(server, client, id)).escrowBalance).toBe(3_000);
      expect(await moneyOf(server, client)).toEqual([
        ["escrow_deposit", -3_000],
        ["escrow_deposit", -1_000],
      ]);
    });

    it("R11, R15: funding uses the unallocated escrow first and charges the client only for the rest", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [10_000, 6_000]);
      const approved = await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`, {
        amount: 7_000,
      });
      expect(approved.body).toMatchObject({ status: "paid", releasedAmount: 7_000 });
      expect(await contractOf(server, client, id)).toMatchObject({
        escrowBalance: 3_000,
        unallocatedEscrow: 3_000,
      });
      const funded = await call(client, "POST", `/v1/milestones/${milestones[1]}/fund`);
      expect(funded.body).toMatchObject({ status: "funded", fundedAmount: 6_000 });
      expect(await contractOf(server, client, id)).toMatchObject({
        escrowBalance: 6_000,
        unallocatedEscrow: 0,
      });
      expect(await moneyOf(server, client)).toEqual([
        ["escrow_deposit", -3_000],
        ["escrow_deposit", -10_000],
      ]);
      expect(await moneyOf(server, freelancer)).toEqual([["milestone_payment", 7_000]]);
    });

    it("R5, R11: a declined charge when funding is 402 payment_failed and the milestone stays pending", async () => {
      const { client, id, milestones } = await activeContract(server, [1_000, 2_000]);
      await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`);
      await call(client, "POST", "/v1/payment-methods", { token: "tok_chargeDeclined" });
      const before = await postingCount(server);
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[1]}/fund`),
        402,
        "payment_failed",
      );
      expect((await contractOf(server, client, id)).milestones[1]).toMatchObject({
        status: "pending",
        fundedAmount: 0,
      });
      expect(await postingCount(server)).toBe(before);
    });
  });

  describe("submit, request changes, approve", () => {
    it("R12, R14: the freelancer submits the funded milestone: `submitted` with autoApproveAt 14 days later; an unfunded one is 409", async () => {
      const { client, freelancer, milestones } = await activeContract(server, [1_000, 2_000]);
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${milestones[1]}/submit`, {
          message: "Early",
        }),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "Me" }),
        403,
        "forbidden",
      );
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "" }),
        400,
        "validation_failed",
        "message",
      );
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, {
          message: "x",
          links: ["ftp://nope"],
        }),
        400,
        "validation_failed",
        "links[0]",
      );
      const submitted = await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, {
        message: "Mock-ups",
        links: ["https://example.com/mock"],
      });
      expect(submitted.status).toBe(200);
      const m = submitted.body;
      expect(m.status).toBe("submitted");
      expect(Date.parse(m.autoApproveAt) - Date.parse(m.submittedAt)).toBe(14 * DAY_MS);
      expect(m.submissions).toMatchObject([
        { message: "Mock-ups", links: ["https://example.com/mock"], review: null },
      ]);
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, {
          message: "Again",
        }),
        409,
        "invalid_state",
      );
    });

    it("R13, R14: the client requests changes: `changes_requested`, the clock stops; a new submission starts a new one; submissions oldest first", async () => {
      const { client, freelancer, milestones } = await activeContract(server, [1_000]);
      const ms = milestones[0]!;
      expectError(
        await call(client, "POST", `/v1/milestones/${ms}/request-changes`, {
          message: "Nothing to review",
        }),
        409,
        "invalid_state",
      );
      await call(freelancer, "POST", `/v1/milestones/${ms}/submit`, { message: "v1" });
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${ms}/request-changes`, { message: "Self" }),
        403,
        "forbidden",
      );
      expectError(
        await call(client, "POST", `/v1/milestones/${ms}/request-changes`, {}),
        400,
        "validation_failed",
        "message",
      );
      const changes = await call(client, "POST", `/v1/milestones/${ms}/request-changes`, {
        message: "Bigger logo",
      });
      expect(changes.status).toBe(200);
      expect(changes.body).toMatchObject({ status: "changes_requested", autoApproveAt: null });
      expect(changes.body.submissions[0].review).toMatchObject({
        outcome: "changes_requested",
        message: "Bigger logo",
      });
      expectError(
        await call(client, "POST", `/v1/milestones/${ms}/request-changes`, { message: "Twice" }),
        409,
        "invalid_state",
      );

      await server.advanceDays(15);
      const again = await call(freelancer, "POST", `/v1/milestones/${ms}/submit`, {
        message: "v2",
      });
      expect(again.body.status).toBe("submitted");
      expect(again.body.submissions.map((s: any) => s.message)).toEqual(["v1", "v2"]);
      expect(again.body.submissions[1].review).toBeNull();
      const approved = await call(client, "POST", `/v1/milestones/${ms}/approve`);
      expect(approved.body.submissions[1].review).toMatchObject({ outcome: "approved" });
    });

    it("R13: the client may release a funded milestone without a submission; approving a pending or paid milestone is 409", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [4_000, 1_000]);
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[1]}/approve`),
        409,
        "invalid_state",
      );
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/approve`),
        403,
        "forbidden",
      );
      const approved = await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({
        status: "paid",
        releasedAmount: 4_000,
        fundedAmount: 4_000,
        autoApproveAt: null,
      });
      expect(await contractOf(server, client, id)).toMatchObject({
        status: "active",
        escrowBalance: 0,
      });
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`),
        409,
        "invalid_state",
      );
      expect(await moneyOf(server, freelancer)).toEqual([["milestone_payment", 4_000]]);
      // The release of escrowed money is not a movement of the client's own money (R21).
      expect(await moneyOf(server, client)).toEqual([["escrow_deposit", -4_000]]);
    });

    it("R3, R15: an approve amount outside 1..10^10 is 400 on field amount and releases nothing", async () => {
      const { client, milestones } = await activeContract(server, [4_000]);
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`, { amount: 0 }),
        400,
        "validation_failed",
        "amount",
      );
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`, {
          amount: 10_000_000_001,
        }),
        400,
        "validation_failed",
        "amount",
      );
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`, { amount: "10" }),
        400,
        "validation_failed",
        "amount",
      );
      const max = await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`, {
        amount: 10_000_000_000,
      });
      expect(max.body).toMatchObject({ status: "paid", releasedAmount: 10_000_000_000 });
    });

    it("R15: releasing less leaves the rest as unallocated escrow", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [5_000, 1_000]);
      await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "Done" });
      const approved = await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`, {
        amount: 3_500,
      });
      expect(approved.body).toMatchObject({
        status: "paid",
        releasedAmount: 3_500,
        fundedAmount: 5_000,
      });
      expect(await contractOf(server, client, id)).toMatchObject({
        escrowBalance: 1_500,
        unallocatedEscrow: 1_500,
      });
      expect(await moneyOf(server, freelancer)).toEqual([["milestone_payment", 3_500]]);
    });

    it("R15, R21: releasing more charges the difference: client extra_payment negative, freelancer milestone_payment of the funded amount plus extra_payment", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [5_000]);
      await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "Done" });
      const approved = await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`, {
        amount: 6_200,
      });
      expect(approved.body).toMatchObject({
        status: "paid",
        releasedAmount: 6_200,
        fundedAmount: 5_000,
      });
      expect(await contractOf(server, client, id)).toMatchObject({
        escrowBalance: 0,
        unallocatedEscrow: 0,
      });
      expect(await moneyOf(server, client)).toEqual([
        ["extra_payment", -1_200],
        ["escrow_deposit", -5_000],
      ]);
      expect((await moneyOf(server, freelancer)).sort()).toEqual([
        ["extra_payment", 1_200],
        ["milestone_payment", 5_000],
      ]);
    });

    it("R5, R15: a declined extra charge is 402 payment_failed and changes nothing; the full release still works", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [5_000]);
      await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "Done" });
      await call(client, "POST", "/v1/payment-methods", { token: "tok_chargeDeclined" });
      const before = {
        postings: await postingCount(server),
        contract: await contractOf(server, client, id),
      };
      expectError(
        await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`, { amount: 9_000 }),
        402,
        "payment_failed",
      );
      expect(await postingCount(server)).toBe(before.postings);
      expect(await contractOf(server, client, id)).toEqual(before.contract);
      expect(await moneyOf(server, freelancer)).toEqual([]);
      const events = (await call(client, "GET", `/v1/contracts/${id}/events`)).body.data;
      expect(events.some((e: any) => e.type === "milestone.approved")).toBe(false);

      const full = await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`);
      expect(full.body).toMatchObject({ status: "paid", releasedAmount: 5_000 });
    });
  });

  describe("due date changes", () => {
    it("R16: a party proposes a date (201 pending); the other party accepts and the milestone has the new date", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [1_000, 2_000]);
      const proposed = await call(
        freelancer,
        "POST",
        `/v1/milestones/${milestones[1]}/due-date-changes`,
        { dueDate: "2031-03-15" },
      );
      expect(proposed.status).toBe(201);
      expect(proposed.body).toMatchObject({
        milestoneId: milestones[1],
        dueDate: "2031-03-15",
        proposedBy: freelancer.id,
        status: "pending",
      });
      expect((await contractOf(server, client, id)).milestones[1].dueDate).toBeNull();
      expectError(
        await call(freelancer, "POST", `/v1/due-date-changes/${proposed.body.id}/accept`),
        403,
        "forbidden",
      );
      expectError(
        await call(freelancer, "POST", `/v1/due-date-changes/${proposed.body.id}/decline`),
        403,
        "forbidden",
      );
      const accepted = await call(
        client,
        "POST",
        `/v1/due-date-changes/${proposed.body.id}/accept`,
      );
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({
        id: proposed.body.id,
        status: "accepted",
        dueDate: "2031-03-15",
      });
      expect((await contractOf(server, client, id)).milestones[1].dueDate).toBe("2031-03-15");
      expectError(
        await call(client, "POST", `/v1/due-date-changes/${proposed.body.id}/accept`),
        409,
        "invalid_state",
      );
      expectError(
        await call(client, "POST", `/v1/due-date-changes/${proposed.body.id}/decline`),
        409,
        "invalid_state",
      );
    });

    it("R16: the other party declines: `declined`, and the date is unchanged; one proposal at a time per milestone (409)", async () => {
      const { client, freelancer, id, milestones } = await activeContract(server, [1_000]);
      const proposed = await call(
        client,
        "POST",
        `/v1/milestones/${milestones[0]}/due-date-changes`,
        { dueDate: "2031-01-01" },
      );
      const proposal = proposed.body.id;
      expectError(
        await call(client, "POST", `/v1/due-date-changes/${proposal}/decline`),
        403,
        "forbidden",
      );
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/due-date-changes`, {
          dueDate: "2031-02-01",
        }),
        409,
        "invalid_state",
      );
      const declined = await call(freelancer, "POST", `/v1/due-date-changes/${proposal}/decline`);
      expect(declined.status).toBe(200);
      expect(declined.body).toMatchObject({
        status: "declined",
        proposedBy: client.id,
        dueDate: "2031-01-01",
      });
      expect((await contractOf(server, client, id)).milestones[0].dueDate).toBeNull();
    });

    it("R16: proposals only on an active contract for a milestone not paid, refunded or cancelled (409); the date must be a calendar date (400)", async () => {
      const { client, freelancer } = await parties(server);
      const made = await offer(server, client, freelancer, [1_000, 2_000]);
      const [first, second] = made.milestones.map((m: any) => m.id);
      expectError(
        await call(client, "POST", `/v1/milestones/${first}/due-date-changes`, {
          dueDate: "2031-01-01",
        }),
        409,
        "invalid_state",
      );
      await call(freelancer, "POST", `/v1/contracts/${made.id}/accept`);
      await call(client, "POST", `/v1/milestones/${first}/approve`);
      await call(client, "POST", `/v1/milestones/${second}/cancel`);
      expectError(
        await call(client, "POST", `/v1/milestones/${first}/due-date-changes`, {
          dueDate: "2031-01-01",
        }),
        409,
        "invalid_state",
      );
      expectError(
        await call(freelancer, "POST", `/v1/milestones/${second}/due-date-changes`, {
          dueDate: "2031-01-01",
        }),
        409,
        "invalid_state",
      );

      const other = await activeContract(server, [1_000]);
      const at = `/v1/milestones/${other.milestones[0]}/due-date-changes`;
      expectError(
        await call(other.client, "POST", at, { dueDate: "2031-02-30" }),
        400,
        "validation_failed",
        "dueDate",
      );
      expectError(
        await call(other.client, "POST", at, { dueDate: "15/03/2031" }),
        400,
        "validation_failed",
        "dueDate",
      );
      expectError(await call(other.client, "POST", at, {}), 400, "validation_failed", "dueDate");
    });

    it("R16: a milestone is overdue once the UTC day of its due date has ended; nothing else happens and late work may be submitted", async () => {
      const today = ((await call(undefined, "GET", "/v1/test-clock")).body.now as string).slice(
        0,
        10,
      );
      const { client, freelancer } = await parties(server);
      const made = await call(client, "POST", "/v1/contracts", {
        freelancerEmail: freelancer.email,
        title: "Due today",
        currency: "EUR",
        milestones: [{ title: "Today", amount: 700, dueDate: today }],
      });
      expect(made.body.milestones[0]).toMatchObject({ dueDate: today, overdue: false });
      await call(freelancer, "POST", `/v1/contracts/${made.body.id}/accept`);
      await server.advanceDays(1);
      const late = await contractOf(server, client, made.body.id);
      expect(late.milestones[0]).toMatchObject({ status: "funded", overdue: true });
      const submitted = await call(
        freelancer,
        "POST",
        `/v1/milestones/${late.milestones[0].id}/submit`,
        { message: "Late" },
      );
      expect(submitted.body).toMatchObject({ status: "submitted", overdue: true });
      const paid = await call(client, "POST", `/v1/milestones/${late.milestones[0].id}/approve`);
      expect(paid.body).toMatchObject({ status: "paid", overdue: false });
    });
  });
});
