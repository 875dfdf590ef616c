/** Health, unknown routes, the test clock, and the OpenAPI document (API.md conventions). */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/main.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, testConfig, type TestServer } from "../support/server.js";
import { activeContract, caller, contractOf, expectError, type Call } from "./http-helpers.js";

/** Every method and path of API.md's endpoint tables, `:id` written `{id}` as OpenAPI does. */
const API_PATHS = [
  "POST /v1/auth/signup",
  "POST /v1/auth/login",
  "POST /v1/auth/logout",
  "GET /v1/me",
  "POST /v1/payment-methods",
  "GET /v1/payment-methods",
  "POST /v1/contracts",
  "GET /v1/contracts",
  "GET /v1/contracts/{id}",
  "POST /v1/contracts/{id}/accept",
  "POST /v1/contracts/{id}/decline",
  "POST /v1/contracts/{id}/withdraw",
  "POST /v1/contracts/{id}/end",
  "GET /v1/contracts/{id}/events",
  "POST /v1/contracts/{id}/milestones",
  "PATCH /v1/milestones/{id}",
  "POST /v1/milestones/{id}/cancel",
  "POST /v1/milestones/{id}/fund",
  "POST /v1/milestones/{id}/submit",
  "POST /v1/milestones/{id}/request-changes",
  "POST /v1/milestones/{id}/approve",
  "POST /v1/milestones/{id}/due-date-changes",
  "POST /v1/due-date-changes/{id}/accept",
  "POST /v1/due-date-changes/{id}/decline",
  "POST /v1/contracts/{id}/refund-requests",
  "GET /v1/contracts/{id}/refund-requests",
  "GET /v1/refund-requests/{id}",
  "POST /v1/refund-requests/{id}/approve",
  "POST /v1/refund-requests/{id}/dispute",
  "POST /v1/refund-requests/{id}/cancel",
  "GET /v1/disputes",
  "GET /v1/disputes/{id}",
  "POST /v1/disputes/{id}/resolve",
  "GET /v1/transactions",
  "GET /v1/transactions/export.csv",
  "GET /v1/test-clock",
  "POST /v1/test-clock/advance",
];

/** The documented operations the OpenAPI document lacks. */
function missingFrom(doc: { paths: Record<string, Record<string, unknown>> }, wanted: string[]) {
  return wanted.filter((entry) => {
    const [method, path] = entry.split(" ") as [string, string];
    return doc.paths[path]?.[method.toLowerCase()] === undefined;
  });
}

describe.each(DIALECTS)("system endpoints (%s)", (dialect) => {
  let server: TestServer;
  let call: Call;
  beforeAll(async () => {
    server = await createTestServer(dialect);
    call = caller(server);
  });
  afterAll(() => server.close());

  it("R23: /healthz and /readyz answer 200 without a login", async () => {
    const health = await call(undefined, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: "ok" });
    const ready = await call(undefined, "GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready" });
  });

  it("R2: unknown paths and unknown methods on known paths are 404 not_found in the error shape", async () => {
    expectError(await call(undefined, "GET", "/v1/nothing-here"), 404, "not_found");
    const user = await server.signUp("Walker");
    expectError(await call(user, "GET", "/v1/contracts/abc/nothing"), 404, "not_found");
    expectError(await call(user, "DELETE", "/v1/contracts"), 404, "not_found");
    expectError(await call(user, "PUT", "/v1/me"), 404, "not_found");
  });

  it("R23: GET /v1/test-clock answers {now}; advance moves it by exactly the seconds given, without a login", async () => {
    const before = await call(undefined, "GET", "/v1/test-clock");
    expect(before.status).toBe(200);
    expect(new Date(before.body.now).toISOString()).toBe(before.body.now);
    // The clock is frozen between advances.
    expect((await call(undefined, "GET", "/v1/test-clock")).body.now).toBe(before.body.now);
    const advanced = await call(undefined, "POST", "/v1/test-clock/advance", { seconds: 3_600 });
    expect(advanced.status).toBe(200);
    expect(Date.parse(advanced.body.now) - Date.parse(before.body.now)).toBe(3_600_000);
    expect((await call(undefined, "GET", "/v1/test-clock")).body.now).toBe(advanced.body.now);
    expectError(
      await call(undefined, "POST", "/v1/test-clock/advance", { seconds: -1 }),
      400,
      "validation_failed",
      "seconds",
    );
    expectError(
      await call(undefined, "POST", "/v1/test-clock/advance", {}),
      400,
      "validation_failed",
      "seconds",
    );
    expect((await call(undefined, "GET", "/v1/test-clock")).body.now).toBe(advanced.body.now);
  });

  it("R14, R23: advance answers after every rule that fell due by then has run", async () => {
    const { client, freelancer, id, milestones } = await activeContract(server, [2_000]);
    await call(freelancer, "POST", `/v1/milestones/${milestones[0]}/submit`, { message: "Done" });
    await call(undefined, "POST", "/v1/test-clock/advance", { seconds: 14 * 86_400 - 1 });
    expect((await contractOf(server, client, id)).milestones[0].status).toBe("submitted");
    await call(undefined, "POST", "/v1/test-clock/advance", { seconds: 1 });
    expect((await contractOf(server, client, id)).milestones[0]).toMatchObject({
      status: "paid",
      releasedAmount: 2_000,
    });
  });

  it("R23: the test clock's time is kept in the database: another server on the same database sees it", async () => {
    await call(undefined, "POST", "/v1/test-clock/advance", { seconds: 86_400 });
    const here = (await call(undefined, "GET", "/v1/test-clock")).body.now;
    const other = await createApp(testConfig(server.database.location), pino({ level: "silent" }));
    try {
      const there = await other.server.app.inject({ method: "GET", url: "/v1/test-clock" });
      expect(there.json()).toEqual({ now: here });
    } finally {
      await other.close();
    }
  });

  it("R22: /v1/openapi.json lists every path of API.md's users, contracts, milestones, refunds, transactions and test clock", async () => {
    const doc = await call(undefined, "GET", "/v1/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(missingFrom(doc.body, API_PATHS)).toEqual([]);
  });

  it("R22: the API reference page /v1/docs answers 200", async () => {
    const docs = await call(undefined, "GET", "/v1/docs");
    expect(docs.status).toBe(200);
    expect(docs.text.toLowerCase()).toContain("<html");
  });
});

describe.each(DIALECTS)("without ESCROW_TEST_CLOCK (%s)", (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer(dialect, { ESCROW_TEST_CLOCK: "0" });
  });
  afterAll(() => server.close());

  it("R23: the test clock endpoints answer 404 not_found and the server runs on real time", async () => {
    expectError(await server.request("GET", "/v1/test-clock"), 404, "not_found");
    expectError(
      await server.request("POST", "/v1/test-clock/advance", { body: { seconds: 60 } }),
      404,
      "not_found",
    );
    const doc = (await server.request("GET", "/v1/openapi.json")).body;
    expect(doc.paths["/v1/test-clock"]).toBeUndefined();
    const user = await server.signUp("RealTime");
    const freelancer = await server.signUp("RealFreelancer", { card: null });
    const started = Date.now();
    const made = await server.request("POST", "/v1/contracts", {
      token: user.token,
      body: {
        freelancerEmail: freelancer.email,
        title: "Now",
        currency: "USD",
        milestones: [{ title: "A", amount: 100 }],
      },
    });
    expect(made.status).toBe(201);
    expect(Math.abs(Date.parse(made.body.createdAt) - started)).toBeLessThan(60_000);
  });
});
