/** Idempotency keys over HTTP (API.md "Idempotency", R24). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, type TestServer, type TestUser } from "../support/server.js";
import {
  activeContract,
  caller,
  expectError,
  moneyOf,
  parties,
  postingCount,
  type Call,
} from "./http-helpers.js";

let keys = 0;
const newKey = () => `key-${++keys}-${Date.now()}`;

describe.each(DIALECTS)("idempotency over HTTP (%s)", (dialect) => {
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

  const offerBody = (freelancer: TestUser, amount = 10_000) => ({
    freelancerEmail: freelancer.email,
    title: "Keyed offer",
    currency: "USD",
    milestones: [{ title: "Only", amount }],
  });
  const keyed = (user: TestUser, method: string, url: string, key: string, body?: unknown) =>
    call(user, method, url, body, { "idempotency-key": key });
  const contractCount = async (user: TestUser) =>
    (await call(user, "GET", "/v1/contracts?limit=100")).body.data.length;

  it("R24: the same key and body replays the stored status and body and moves no money", async () => {
    const { client, freelancer } = await parties(server);
    const key = newKey();
    const first = await keyed(client, "POST", "/v1/contracts", key, offerBody(freelancer));
    expect(first.status).toBe(201);
    const postings = await postingCount(server);
    const again = await keyed(client, "POST", "/v1/contracts", key, offerBody(freelancer));
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await postingCount(server)).toBe(postings);
    expect(await contractCount(client)).toBe(1);
    expect(await moneyOf(server, client)).toEqual([["escrow_deposit", -10_000]]);
  });

  it("R24: a replayed release pays the freelancer once", async () => {
    const { client, freelancer, milestones } = await activeContract(server, [4_000]);
    const key = newKey();
    const url = `/v1/milestones/${milestones[0]}/approve`;
    const first = await keyed(client, "POST", url, key, { amount: 4_500 });
    expect(first.body).toMatchObject({ status: "paid", releasedAmount: 4_500 });
    const again = await keyed(client, "POST", url, key, { amount: 4_500 });
    expect({ status: again.status, body: again.body }).toEqual({
      status: first.status,
      body: first.body,
    });
    expect((await moneyOf(server, freelancer)).sort()).toEqual([
      ["extra_payment", 500],
      ["milestone_payment", 4_000],
    ]);
    expect(await moneyOf(server, client)).toEqual([
      ["extra_payment", -500],
      ["escrow_deposit", -4_000],
    ]);
  });

  it("R24: bodies are compared as JSON: the order of keys does not matter", async () => {
    const { client, freelancer } = await parties(server);
    const key = newKey();
    const body = offerBody(freelancer);
    const first = await keyed(client, "POST", "/v1/contracts", key, body);
    expect(first.status).toBe(201);
    const reordered = `{"milestones":[{"amount":10000,"title":"Only"}],"currency":"USD","title":"Keyed offer","freelancerEmail":${JSON.stringify(freelancer.email)}}`;
    const again = await server.request("POST", "/v1/contracts", {
      token: client.token,
      raw: reordered,
      headers: { "idempotency-key": key },
    });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await contractCount(client)).toBe(1);
  });

  it("R24: the same key with a different body is 409 idempotency_key_reused and does nothing", async () => {
    const { client, freelancer } = await parties(server);
    const key = newKey();
    await keyed(client, "POST", "/v1/contracts", key, offerBody(freelancer, 10_000));
    const postings = await postingCount(server);
    expectError(
      await keyed(client, "POST", "/v1/contracts", key, offerBody(freelancer, 20_000)),
      409,
      "idempotency_key_reused",
    );
    expect(await postingCount(server)).toBe(postings);
    expect(await contractCount(client)).toBe(1);
    // The original answer is still the one replayed.
    const replay = await keyed(client, "POST", "/v1/contracts", key, offerBody(freelancer, 10_000));
    expect(replay.status).toBe(201);
  });

  it("R5, R24: a stored 402 is replayed even after the card is fixed; a new key then succeeds", async () => {
    const client = await server.signUp("Declined", { card: "tok_chargeDeclined" });
    const freelancer = await server.signUp("Waiting", { card: null });
    const key = newKey();
    const first = await keyed(client, "POST", "/v1/contracts", key, offerBody(freelancer));
    expectError(first, 402, "payment_failed");
    await call(client, "POST", "/v1/payment-methods", { token: "tok_visa" });
    const again = await keyed(client, "POST", "/v1/contracts", key, offerBody(freelancer));
    expect({ status: again.status, body: again.body }).toEqual({ status: 402, body: first.body });
    expect(await contractCount(client)).toBe(0);
    expect(await moneyOf(server, client)).toEqual([]);
    expect(
      (await keyed(client, "POST", "/v1/contracts", newKey(), offerBody(freelancer))).status,
    ).toBe(201);
  });

  it("R11, R24: a stored 409 is replayed even once the state would allow the action", async () => {
    const { client, milestones } = await activeContract(server, [1_000, 2_000]);
    const key = newKey();
    const url = `/v1/milestones/${milestones[1]}/fund`;
    const first = await keyed(client, "POST", url, key);
    expectError(first, 409, "invalid_state");
    await call(client, "POST", `/v1/milestones/${milestones[0]}/approve`);
    const again = await keyed(client, "POST", url, key);
    expect({ status: again.status, body: again.body }).toEqual({ status: 409, body: first.body });
    expect(await moneyOf(server, client)).toEqual([["escrow_deposit", -1_000]]);
    const fresh = await keyed(client, "POST", url, newKey());
    expect(fresh.body).toMatchObject({ status: "funded" });
  });

  it("R24: a 400 validation answer is not stored: the fixed body with the same key then succeeds (schema and rule checks)", async () => {
    const { client, freelancer } = await parties(server);
    const shapeKey = newKey();
    expectError(
      await keyed(client, "POST", "/v1/contracts", shapeKey, offerBody(freelancer, 0)),
      400,
      "validation_failed",
      "milestones[0].amount",
    );
    const fixed = await keyed(
      client,
      "POST",
      "/v1/contracts",
      shapeKey,
      offerBody(freelancer, 500),
    );
    expect(fixed.status).toBe(201);

    const ruleKey = newKey();
    const unknown = {
      ...offerBody(freelancer, 700),
      freelancerEmail: "nobody.at.all@example.test",
    };
    expectError(
      await keyed(client, "POST", "/v1/contracts", ruleKey, unknown),
      400,
      "validation_failed",
      "freelancerEmail",
    );
    const fixedToo = await keyed(
      client,
      "POST",
      "/v1/contracts",
      ruleKey,
      offerBody(freelancer, 700),
    );
    expect(fixedToo.status).toBe(201);
    // And that success is now what the key replays.
    const replay = await keyed(
      client,
      "POST",
      "/v1/contracts",
      ruleKey,
      offerBody(freelancer, 700),
    );
    expect(replay.body).toEqual(fixedToo.body);
    expect(await moneyOf(server, client)).toEqual([
      ["escrow_deposit", -700],
      ["escrow_deposit", -500],
    ]);
  });

  it("R24: keys are scoped per user: another user's request with the same key and body runs on its own", async () => {
    const freelancer = await server.signUp("Shared", { card: null });
    const one = await server.signUp("ClientOne");
    const two = await server.signUp("ClientTwo");
    const key = newKey();
    const first = await keyed(one, "POST", "/v1/contracts", key, offerBody(freelancer));
    const second = await keyed(two, "POST", "/v1/contracts", key, offerBody(freelancer));
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);
    expect(await moneyOf(server, one)).toEqual([["escrow_deposit", -10_000]]);
    expect(await moneyOf(server, two)).toEqual([["escrow_deposit", -10_000]]);
  });

  it("R24: keys are scoped per path: the same key on another milestone's approve runs on its own", async () => {
    const { client, freelancer } = await parties(server);
    const contracts = [];
    for (const amount of [1_000, 2_000]) {
      const made = await call(client, "POST", "/v1/contracts", offerBody(freelancer, amount));
      await call(freelancer, "POST", `/v1/contracts/${made.body.id}/accept`);
      contracts.push(made.body);
    }
    const key = newKey();
    for (const contract of contracts) {
      const answer = await keyed(
        client,
        "POST",
        `/v1/milestones/${contract.milestones[0].id}/approve`,
        key,
      );
      expect(answer.body).toMatchObject({ status: "paid", id: contract.milestones[0].id });
    }
    expect((await moneyOf(server, freelancer)).sort()).toEqual([
      ["milestone_payment", 1_000],
      ["milestone_payment", 2_000],
    ]);
  });

  it("R24: concurrent identical requests with one key have exactly one effect and all get the same answer", async () => {
    const { client, freelancer } = await parties(server);
    const key = newKey();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        keyed(client, "POST", "/v1/contracts", key, offerBody(freelancer, 3_300)),
      ),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual(answers[0]!.body);
    }
    expect(await contractCount(client)).toBe(1);
    expect(await moneyOf(server, client)).toEqual([["escrow_deposit", -3_300]]);
  });

  it("R24: concurrent releases of one milestone with one key pay once", async () => {
    const { client, freelancer, milestones } = await activeContract(server, [6_000]);
    const key = newKey();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        keyed(client, "POST", `/v1/milestones/${milestones[0]}/approve`, key),
      ),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
    expect(await moneyOf(server, freelancer)).toEqual([["milestone_payment", 6_000]]);
  });
});
