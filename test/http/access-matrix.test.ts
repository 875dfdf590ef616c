/**
 * The access-control matrix (R2), generated from the server's own route table: every route x
 * caller {anonymous, the client, the freelancer, an unrelated user, staff} x object {own, someone
 * else's (a second contract between two other users), a missing id}.
 *
 * The expected policy of each route is written below from API.md, by hand: it is NOT read from
 * the route table, so a route whose declared access drifts from the contract fails here, and a
 * new route without an entry in POLICY fails the "every route has a policy" test.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../src/auth/sessions.js";
import { DIALECTS } from "../support/dialects.js";
import {
  createTestServer,
  offer,
  type ApiAnswer,
  type TestServer,
  type TestUser,
} from "../support/server.js";

type Resource =
  | "contract"
  | "milestone"
  | "refund_request"
  | "dispute"
  | "due_date_change"
  | "notification"
  | "webhook_endpoint";
/**
 * `view`: any party or staff; `party`: either party (not staff); `otherParty`: the party who did
 * not propose (the fixtures' proposals are made by the client); `staff`: staff only, on an
 * object staff can see; `owner`: the user the object belongs to, and no one else.
 */
type Allow = "view" | "client" | "freelancer" | "party" | "otherParty" | "staff" | "owner";
type Policy = "public" | "user" | "staff" | { readonly resource: Resource; readonly allow: Allow };

/** API.md, endpoint by endpoint. Keyed "METHOD url" exactly as the router spells the url. */
const POLICY: Record<string, Policy> = {
  // System and test clock: "no login needed".
  "GET /healthz": "public",
  "GET /readyz": "public",
  "GET /v1/test-clock": "public",
  "POST /v1/test-clock/advance": "public",
  // Users.
  "POST /v1/auth/signup": "public",
  "POST /v1/auth/login": "public",
  // Password reset is not in API.md (an addition): whoever holds the email or the link.
  "POST /v1/auth/password-reset": "public",
  "POST /v1/auth/password-reset/confirm": "public",
  "POST /v1/auth/logout": "user",
  "GET /v1/me": "user",
  "POST /v1/payment-methods": "user",
  "GET /v1/payment-methods": "user",
  // Contracts.
  "POST /v1/contracts": "user",
  "GET /v1/contracts": "user",
  "GET /v1/contracts/:id": { resource: "contract", allow: "view" },
  "POST /v1/contracts/:id/accept": { resource: "contract", allow: "freelancer" },
  "POST /v1/contracts/:id/decline": { resource: "contract", allow: "freelancer" },
  "POST /v1/contracts/:id/withdraw": { resource: "contract", allow: "client" },
  "POST /v1/contracts/:id/end": { resource: "contract", allow: "party" },
  "GET /v1/contracts/:id/events": { resource: "contract", allow: "view" },
  // Milestones. GET /v1/milestones/:id is not in API.md (an addition): R2 says view.
  "POST /v1/contracts/:id/milestones": { resource: "contract", allow: "client" },
  "GET /v1/milestones/:id": { resource: "milestone", allow: "view" },
  "PATCH /v1/milestones/:id": { resource: "milestone", allow: "client" },
  "POST /v1/milestones/:id/cancel": { resource: "milestone", allow: "client" },
  "POST /v1/milestones/:id/fund": { resource: "milestone", allow: "client" },
  "POST /v1/milestones/:id/submit": { resource: "milestone", allow: "freelancer" },
  "POST /v1/milestones/:id/request-changes": { resource: "milestone", allow: "client" },
  "POST /v1/milestones/:id/approve": { resource: "milestone", allow: "client" },
  "POST /v1/milestones/:id/due-date-changes": { resource: "milestone", allow: "party" },
  "POST /v1/due-date-changes/:id/accept": { resource: "due_date_change", allow: "otherParty" },
  "POST /v1/due-date-changes/:id/decline": { resource: "due_date_change", allow: "otherParty" },
  // Refunds and disputes.
  "POST /v1/contracts/:id/refund-requests": { resource: "contract", allow: "client" },
  "GET /v1/contracts/:id/refund-requests": { resource: "contract", allow: "view" },
  "GET /v1/refund-requests/:id": { resource: "refund_request", allow: "view" },
  "POST /v1/refund-requests/:id/approve": { resource: "refund_request", allow: "freelancer" },
  "POST /v1/refund-requests/:id/dispute": { resource: "refund_request", allow: "freelancer" },
  "POST /v1/refund-requests/:id/cancel": { resource: "refund_request", allow: "client" },
  "GET /v1/disputes": "user",
  "GET /v1/disputes/:id": { resource: "dispute", allow: "view" },
  "POST /v1/disputes/:id/resolve": { resource: "dispute", allow: "staff" },
  // Transactions.
  "GET /v1/transactions": "user",
  "GET /v1/transactions/export.csv": "user",
  "GET /v1/transactions/totals": "user",
  // Notifications and webhooks.
  "GET /v1/notifications": "user",
  "POST /v1/notifications/:id/read": { resource: "notification", allow: "owner" },
  "POST /v1/webhook-endpoints": "user",
  "GET /v1/webhook-endpoints": "user",
  // Not in API.md (an addition): an endpoint's delivery log, for its owner only. Before DELETE,
  // which removes the client's own endpoint.
  "GET /v1/webhook-endpoints/:id/deliveries": { resource: "webhook_endpoint", allow: "owner" },
  "DELETE /v1/webhook-endpoints/:id": { resource: "webhook_endpoint", allow: "owner" },
};

type CallerKind = "anonymous" | "client" | "freelancer" | "stranger" | "staff";
type Target = "own" | "other" | "missing";
type Expected = "allowed" | 401 | 403 | 404;

const CALLERS: readonly CallerKind[] = ["anonymous", "client", "freelancer", "stranger", "staff"];
const TARGETS: readonly Target[] = ["own", "other", "missing"];
const ERROR_CODE = { 401: "unauthenticated", 403: "forbidden", 404: "not_found" } as const;
/** What an allowed call may answer: done (or accepted), or refused for state (409) or payment (402). */
const ALLOWED_STATUSES = [200, 201, 202, 204, 402, 409];
const PASSWORD = "correct horse battery";

/** The documented answer for one cell of the matrix. */
function expectedFor(policy: Policy, caller: CallerKind, target: Target | null): Expected {
  if (policy === "public") return "allowed";
  if (caller === "anonymous") return 401;
  if (policy === "user") return "allowed";
  if (policy === "staff") return caller === "staff" ? "allowed" : 403;
  if (target === "missing") return 404;
  if (policy.allow === "owner") return target === "own" && caller === "client" ? "allowed" : 404;
  // Staff see every contract's objects, but their only action is resolving a dispute.
  if (caller === "staff")
    return policy.allow === "view" || policy.allow === "staff" ? "allowed" : 403;
  // The other contract is between two other users: our client and freelancer are strangers to it.
  if (target === "other" || caller === "stranger") return 404;
  switch (policy.allow) {
    case "view":
    case "party":
      return "allowed";
    case "client":
    case "freelancer":
      return caller === policy.allow ? "allowed" : 403;
    case "otherParty":
      return caller === "freelancer" ? "allowed" : 403;
    case "staff":
      return 403;
  }
}

interface World {
  readonly client: TestUser;
  readonly freelancer: TestUser;
  readonly ids: Partial<Record<Resource, string>>;
}

const key = (method: string, url: string) => `${method} ${url}`;

describe.each(DIALECTS)("the access-control matrix over every route (%s)", (dialect) => {
  let server: TestServer;
  let staff: TestUser;
  let stranger: TestUser;
  let own: World;
  let other: World;
  let served: Set<string>;
  let signups = 0;

  const call = (token: string | undefined, method: string, url: string, body?: unknown) =>
    server.request(method, url, { token, body });

  async function must(answer: Promise<ApiAnswer>, status: number, what: string) {
    const got = await answer;
    if (got.status !== status)
      throw new Error(`${what}: expected ${status}, got ${got.status} ${got.text}`);
    return got.body;
  }

  /**
   * One contract ended by its client with its escrow under a disputed refund request (contract,
   * milestone, refund request, dispute), and one active contract with a due date change the
   * client proposed (due date change).
   */
  async function makeWorld(name: string): Promise<World> {
    const client = await server.signUp(`${name}Client`);
    const freelancer = await server.signUp(`${name}Freelancer`, { card: null });
    const ended = await offer(server, client, freelancer, [100_00, 200_00]);
    await must(call(freelancer.token, "POST", `/v1/contracts/${ended.id}/accept`), 200, "accept");
    await must(
      call(client.token, "POST", `/v1/contracts/${ended.id}/end`, { reason: "Stop" }),
      200,
      "end",
    );
    const refund = await must(
      call(client.token, "POST", `/v1/contracts/${ended.id}/refund-requests`, { reason: "Undone" }),
      201,
      "refund request",
    );
    const disputed = await must(
      call(freelancer.token, "POST", `/v1/refund-requests/${refund.id}/dispute`, {
        reason: "Done",
      }),
      200,
      "dispute",
    );
    const active = await offer(server, client, freelancer, [100_00, 200_00]);
    await must(call(freelancer.token, "POST", `/v1/contracts/${active.id}/accept`), 200, "accept");
    const proposal = await must(
      call(client.token, "POST", `/v1/milestones/${active.milestones[0].id}/due-date-changes`, {
        dueDate: "2031-06-30",
      }),
      201,
      "due date change",
    );
    const ids: World["ids"] = {
      contract: ended.id,
      milestone: ended.milestones[0].id,
      refund_request: refund.id,
      dispute: disputed.disputeId,
      due_date_change: proposal.id,
    };
    // Owned objects of routes API.md documents but the server may not serve yet.
    if (served.has("GET /v1/notifications")) {
      const list = await must(call(client.token, "GET", "/v1/notifications"), 200, "notifications");
      ids.notification = list.data[0]?.id;
    }
    if (served.has("POST /v1/webhook-endpoints")) {
      const hook = await call(client.token, "POST", "/v1/webhook-endpoints", {
        url: "https://example.com/escrow-hook",
      });
      ids.webhook_endpoint = hook.body?.id;
    }
    return { client, freelancer, ids };
  }

  beforeAll(async () => {
    server = await createTestServer(dialect);
    served = new Set(server.app.server.routes.map((r) => key(r.method, r.url)));
    staff = await server.staff();
    stranger = await server.signUp("Stranger");
    own = await makeWorld("Own");
    other = await makeWorld("Other");
  });
  afterAll(() => server.close());

  /** A token for the caller; logout gets a fresh session so the caller's own token survives. */
  async function tokenOf(caller: CallerKind, routeKey: string): Promise<string | undefined> {
    const user = {
      anonymous: undefined,
      client: own.client,
      freelancer: own.freelancer,
      stranger,
      staff,
    }[caller];
    if (!user) return undefined;
    if (routeKey !== "POST /v1/auth/logout") return user.token;
    const password = user === staff ? "staff password 1" : PASSWORD;
    const login = await must(
      call(undefined, "POST", "/v1/auth/login", { email: user.email, password }),
      200,
      "login",
    );
    return login.token;
  }

  /** A body valid enough that validation never masks the access check. */
  async function bodyFor(routeKey: string): Promise<unknown> {
    switch (routeKey) {
      case "POST /v1/test-clock/advance":
        return { seconds: 0 };
      case "POST /v1/auth/signup":
        return {
          email: `matrix.${++signups}.${Date.now()}@example.test`,
          password: PASSWORD,
          name: "New",
        };
      case "POST /v1/auth/login":
        return { email: own.client.email, password: PASSWORD };
      case "POST /v1/auth/password-reset":
        return { email: `matrix.reset.${++signups}@example.test` };
      case "POST /v1/auth/password-reset/confirm": {
        // A live reset link of a user of its own, as the emailed link would carry.
        const user = await server.signUp("Reset", { card: null });
        const token = randomBytes(32).toString("base64url");
        await server.app.handle.db
          .insertInto("password_resets")
          .values({
            token_hash: hashToken(token),
            user_id: user.id,
            created_at: Date.now(),
            expires_at: Date.now() + 60_000,
            used_at: null,
          })
          .execute();
        return { token, password: PASSWORD };
      }
      case "POST /v1/payment-methods":
        return { token: "tok_visa" };
      case "POST /v1/contracts":
        return {
          freelancerEmail: other.freelancer.email,
          title: "Matrix offer",
          currency: "USD",
          milestones: [{ title: "Only", amount: 100 }],
        };
      case "POST /v1/contracts/:id/end":
        return { reason: "Matrix" };
      case "POST /v1/contracts/:id/milestones":
        return { title: "Extra", amount: 100 };
      case "PATCH /v1/milestones/:id":
        return { description: "Edited" };
      case "POST /v1/milestones/:id/submit":
        return { message: "Here it is" };
      case "POST /v1/milestones/:id/request-changes":
        return { message: "Please change" };
      case "POST /v1/milestones/:id/approve":
        return {};
      case "POST /v1/milestones/:id/due-date-changes":
        return { dueDate: "2031-07-01" };
      case "POST /v1/contracts/:id/refund-requests":
        return { reason: "Matrix" };
      case "POST /v1/refund-requests/:id/dispute":
        return { reason: "Matrix" };
      case "POST /v1/disputes/:id/resolve":
        return { refundAmount: 100_00, releaseAmount: 0, reason: "Matrix" };
      case "POST /v1/webhook-endpoints":
        return { url: "https://example.com/escrow-hook" };
      default:
        return undefined;
    }
  }

  function idOf(target: Target, resource: Resource): string {
    if (target === "missing") return `${resource.slice(0, 2)}_01J0000000MISSING000000000`;
    const id = (target === "own" ? own : other).ids[resource];
    if (!id) throw new Error(`no ${target} ${resource} fixture`);
    return id;
  }

  /** Runs one cell and describes it when the answer is not the documented one. */
  async function cell(
    method: string,
    url: string,
    policy: Policy,
    caller: CallerKind,
    target: Target | null,
  ): Promise<string | null> {
    const routeKey = key(method, url);
    const path =
      target === null || typeof policy === "string"
        ? url
        : url.replace(":id", encodeURIComponent(idOf(target, policy.resource)));
    const answer = await call(
      await tokenOf(caller, routeKey),
      method,
      path,
      await bodyFor(routeKey),
    );
    const expected = expectedFor(policy, caller, target);
    const where = `${caller} on ${target ?? "-"}: ${method} ${path}`;
    if (answer.status >= 500) return `${where}: ${answer.status} ${answer.text}`;
    if (expected === "allowed") {
      return ALLOWED_STATUSES.includes(answer.status)
        ? null
        : `${where}: expected allowed, got ${answer.status} ${answer.text}`;
    }
    if (answer.status !== expected)
      return `${where}: expected ${expected}, got ${answer.status} ${answer.text}`;
    if (
      answer.body?.error?.code !== ERROR_CODE[expected] ||
      typeof answer.body.error.message !== "string"
    )
      return `${where}: expected error ${ERROR_CODE[expected]}, got ${answer.text}`;
    return null;
  }

  it("R2: every route in the route table has a policy in this test, written from API.md", () => {
    const routes = server.app.server.routes;
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.map((r) => key(r.method, r.url)).filter((k) => !(k in POLICY));
    expect(missing, "routes without an expected access policy in POLICY").toEqual([]);
    const notServed = Object.keys(POLICY).filter((k) => !served.has(k));
    if (notServed.length > 0)
      console.info(`[access-matrix] documented but not served: ${notServed.join(", ")}`);
  });

  it("R2: every route's declared access agrees with the policy API.md gives it", () => {
    const disagreements = server.app.server.routes.flatMap((route) => {
      const policy = POLICY[key(route.method, route.url)];
      if (!policy) return [];
      const access = route.access;
      const want =
        typeof policy === "string"
          ? { kind: policy }
          : {
              kind: "object",
              resource: policy.resource,
              allow: policy.allow === "otherParty" ? "party" : policy.allow,
            };
      return JSON.stringify(access) === JSON.stringify(want)
        ? []
        : [
            `${key(route.method, route.url)}: declared ${JSON.stringify(access)}, API.md ${JSON.stringify(want)}`,
          ];
    });
    expect(disagreements).toEqual([]);
  });

  it.for(Object.entries(POLICY))(
    "R2: %s answers every caller and object as API.md says",
    async ([routeKey, policy], ctx) => {
      if (!served.has(routeKey)) ctx.skip(`${routeKey} is not served yet`);
      const [method, url] = routeKey.split(" ") as [string, string];
      const targets = typeof policy === "string" ? [null] : TARGETS;
      const failures: string[] = [];
      let allowedCells = 0;
      for (const caller of CALLERS) {
        for (const target of targets) {
          if (expectedFor(policy, caller, target) === "allowed") allowedCells++;
          const failure = await cell(method, url, policy, caller, target);
          if (failure) failures.push(failure);
        }
      }
      expect(failures).toEqual([]);
      // Every route has someone it serves: no route is closed to everyone.
      expect(allowedCells).toBeGreaterThan(0);
    },
  );

  it("R2: access is checked before validation: a bad body gets 401, 404 or 403 first, and only the caller whose action it is gets 400", async () => {
    const milestone = own.ids.milestone!;
    const contract = own.ids.contract!;
    const missing = idOf("missing", "milestone");
    const unknownField = { amount: 100, bogus: true };
    const cases: [
      string,
      string | undefined,
      string,
      { body?: unknown; raw?: string },
      number,
      string,
    ][] = [
      [
        "anonymous, bad JSON",
        undefined,
        `/v1/milestones/${milestone}/approve`,
        { raw: "{not json" },
        401,
        "unauthenticated",
      ],
      [
        "stranger, bad JSON",
        stranger.token,
        `/v1/milestones/${milestone}/approve`,
        { raw: "{not json" },
        404,
        "not_found",
      ],
      [
        "stranger, unknown field",
        stranger.token,
        `/v1/milestones/${milestone}/approve`,
        { body: unknownField },
        404,
        "not_found",
      ],
      [
        "stranger, string amount",
        stranger.token,
        `/v1/contracts/${contract}/milestones`,
        { body: { title: 1, amount: "x" } },
        404,
        "not_found",
      ],
      [
        "client of another contract, bad JSON",
        other.client.token,
        `/v1/contracts/${contract}/end`,
        { raw: "[" },
        404,
        "not_found",
      ],
      [
        "missing id, bad JSON",
        own.client.token,
        `/v1/milestones/${missing}/approve`,
        { raw: "{" },
        404,
        "not_found",
      ],
      [
        "freelancer on a client action, unknown field",
        own.freelancer.token,
        `/v1/milestones/${milestone}/approve`,
        { body: unknownField },
        403,
        "forbidden",
      ],
      [
        "client on a freelancer action, bad JSON",
        own.client.token,
        `/v1/milestones/${milestone}/submit`,
        { raw: "{" },
        403,
        "forbidden",
      ],
      [
        "staff on a client action, wrong type",
        staff.token,
        `/v1/milestones/${milestone}/approve`,
        { body: { amount: "all" } },
        403,
        "forbidden",
      ],
      [
        "party on a staff action, bad split",
        own.client.token,
        `/v1/disputes/${own.ids.dispute!}/resolve`,
        { body: { refundAmount: -1 } },
        403,
        "forbidden",
      ],
      // The client's own action on an ended contract: a valid body is 409, a bad one 400 (400 before 409).
      [
        "client, unknown field",
        own.client.token,
        `/v1/milestones/${milestone}/approve`,
        { body: unknownField },
        400,
        "validation_failed",
      ],
      [
        "client, bad JSON",
        own.client.token,
        `/v1/contracts/${contract}/milestones`,
        { raw: "{" },
        400,
        "validation_failed",
      ],
    ];
    const answers = [];
    for (const [what, token, url, options, status, code] of cases) {
      const answer = await server.request("POST", url, { token, ...options });
      answers.push({ what, status: answer.status, code: answer.body?.error?.code });
      expect
        .soft({ what, status: answer.status, code: answer.body?.error?.code })
        .toEqual({ what, status, code });
    }
    // And the same client action with a valid body is refused for state only.
    const valid = await call(own.client.token, "POST", `/v1/contracts/${contract}/milestones`, {
      title: "More",
      amount: 100,
    });
    expect(valid.status).toBe(409);
    expect(valid.body.error.code).toBe("invalid_state");
    expect(answers).toHaveLength(cases.length);
  });

  it("R2: a malformed, unknown or revoked token is anonymous: 401 before the object is looked up", async () => {
    const contract = own.ids.contract!;
    const revoked = await tokenOf("client", "POST /v1/auth/logout");
    await must(call(revoked, "POST", "/v1/auth/logout"), 204, "logout");
    for (const headers of [
      { authorization: "Bearer not-a-real-token" },
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: `Bearer ${revoked!}` },
      { authorization: "Bearer" },
    ]) {
      for (const url of [`/v1/contracts/${contract}`, `/v1/contracts/missing`, "/v1/me"]) {
        const answer = await server.request("GET", url, { headers });
        expect({ url, headers, status: answer.status, code: answer.body?.error?.code }).toEqual({
          url,
          headers,
          status: 401,
          code: "unauthenticated",
        });
      }
    }
    // The client's own token still works: only the revoked session stopped.
    expect((await call(own.client.token, "GET", `/v1/contracts/${contract}`)).status).toBe(200);
  });

  it("R2: odd ids (very long, encoded slashes, unicode, SQL) are simply not found, never 5xx", async () => {
    const odd = [
      "x".repeat(500),
      "x".repeat(5000),
      "..%2F..%2Fetc",
      "ct_' OR '1'='1",
      "ct_%E2%9C%93",
      "%00",
      "%E0%A4%A",
      "%",
      "0",
      "null",
    ];
    for (const id of odd) {
      for (const [method, url] of [
        ["GET", `/v1/contracts/${id}`],
        ["POST", `/v1/milestones/${id}/approve`],
        ["GET", `/v1/refund-requests/${id}`],
        ["GET", `/v1/disputes/${id}`],
        ["POST", `/v1/due-date-changes/${id}/accept`],
      ] as const) {
        const answer = await call(staff.token, method, url);
        expect({ url, status: answer.status, code: answer.body?.error?.code }).toEqual({
          url,
          status: 404,
          code: "not_found",
        });
      }
    }
    // An id of a plausible length is still looked up only after the token: anonymous is 401.
    const anonymous = await call(undefined, "GET", `/v1/contracts/${"x".repeat(500)}`);
    expect({ status: anonymous.status, code: anonymous.body?.error?.code }).toEqual({
      status: 401,
      code: "unauthenticated",
    });
  });

  it("R2, R4: after the whole matrix the ledger still balances", async () => {
    expect(await server.violations()).toEqual([]);
  });
});
