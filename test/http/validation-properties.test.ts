/**
 * Property tests of request validation over HTTP: for every route with a body, random JSON and
 * mutated valid bodies never answer 5xx, every 4xx has the documented error shape and code, a
 * mutation is a 400 naming the field at fault (before any state check), and a refused request
 * changes nothing: row counts, the contracts, milestones, refund requests, disputes, due date
 * changes and the ledger are the same after it as before.
 *
 * The seed is logged; replay a failure with FC_SEED=<seed> (and FC_RUNS=<n> to change the runs).
 */
import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CURRENCY_CODES } from "../../src/domain/currencies.js";
import { DIALECTS } from "../support/dialects.js";
import {
  createTestServer,
  offer,
  type ApiAnswer,
  type TestServer,
  type TestUser,
} from "../support/server.js";

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2_147_483_647;
const RUNS = Number(process.env.FC_RUNS ?? 100);
console.info(
  `[validation-properties] fast-check seed ${SEED}, ${RUNS} runs (replay: FC_SEED=${SEED})`,
);
const params = { seed: SEED, numRuns: RUNS } as const;

/** API.md's error codes and the status each answers with. */
const DOCUMENTED: Record<string, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  payment_failed: 402,
  payment_method_required: 402,
  forbidden: 403,
  not_found: 404,
  invalid_state: 409,
  idempotency_key_reused: 409,
  email_taken: 409,
  rate_limited: 429,
};

const MAX_AMOUNT = 10_000_000_000;
const PASSWORD = "correct horse battery";

type Seg = string | number;
type Kind =
  | {
      readonly t: "string";
      readonly min?: number;
      readonly max: number;
      readonly format?: Format;
      readonly nullable?: boolean;
    }
  | { readonly t: "integer"; readonly min: number; readonly max: number }
  | {
      readonly t: "array";
      readonly min?: number;
      readonly max: number;
      readonly item: () => unknown;
    }
  | { readonly t: "object" };
/** `text`: must not be blank (the rules trim it); `token`: a payment token the provider knows. */
type Format = "email" | "currency" | "date" | "link" | "text" | "token";
interface Field {
  readonly path: readonly Seg[];
  readonly required: boolean;
  readonly kind: Kind;
}

/** A field path as API.md writes it: `milestones[0].amount`. */
function pathText(path: readonly Seg[]): string {
  return path.reduce<string>(
    (at, seg) => (typeof seg === "number" ? `${at}[${seg}]` : at ? `${at}.${seg}` : seg),
    "",
  );
}

function getAt(body: unknown, path: readonly Seg[]): any {
  return path.reduce<any>((v, seg) => (v as Record<string | number, unknown>)[seg], body);
}
function setAt(body: unknown, path: readonly Seg[], value: unknown): unknown {
  const copy = structuredClone(body);
  const parent = getAt(copy, path.slice(0, -1));
  parent[path[path.length - 1]!] = value;
  return copy;
}
function dropAt(body: unknown, path: readonly Seg[]): unknown {
  const copy = structuredClone(body);
  const parent = getAt(copy, path.slice(0, -1));
  delete parent[path[path.length - 1]!];
  return copy;
}

const isValidDate = (s: string) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
};
const isEmail = (s: string) => s.length >= 3 && s.length <= 254 && /^[^@\s]+@[^@\s]+$/.test(s);
const KNOWN_TOKENS = ["tok_visa", "tok_mastercard", "tok_chargeDeclined"];

/**
 * Keys the JSON parser refuses outright (prototype poisoning): the answer is still a 400, but
 * "the body is not valid JSON" without a `field`, so mutations that must name a field avoid them.
 */
const FORBIDDEN_KEYS = ["__proto__", "constructor", "prototype"];
function hasForbiddenKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasForbiddenKey);
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([k, v]) => FORBIDDEN_KEYS.includes(k) || hasForbiddenKey(v));
}
const garbage = (maxDepth: number) => fc.jsonValue({ maxDepth }).filter((v) => !hasForbiddenKey(v));

/** Values of a JSON type the field does not accept, shallow or nested garbage. */
function wrongType(kind: Kind): fc.Arbitrary<unknown> {
  return garbage(4).filter((v) => {
    switch (kind.t) {
      case "string":
        return typeof v !== "string" && !(kind.nullable && v === null);
      case "integer":
        return typeof v !== "number" || !Number.isInteger(v);
      case "array":
        return !Array.isArray(v);
      case "object":
        return v === null || typeof v !== "object" || Array.isArray(v);
    }
  });
}

/** Longer than `max`, cheaply. */
const tooLong = (max: number) =>
  fc
    .tuple(fc.nat(50), fc.string({ minLength: 1, maxLength: 1 }))
    .map(([n, c]) => c.repeat(max + 1 + n));

/** Values of the right JSON type that the field still refuses. */
function badValue(kind: Kind): fc.Arbitrary<unknown> | null {
  switch (kind.t) {
    case "integer":
      return fc.oneof(
        fc.integer({ min: -1e15, max: kind.min - 1 }),
        fc.integer({ min: kind.max + 1, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom(1e21, 1e300, -1e300, 2 ** 53, kind.max + 0.5, 0.1, -0.5),
        fc.double({ min: -1e12, max: 1e12, noNaN: true }).filter((x) => !Number.isInteger(x)),
        fc.integer({ min: kind.min, max: Math.min(kind.max, 1e9) }).map(String),
      );
    case "array":
      return fc.oneof(
        ...(kind.min ? [fc.constant([])] : []),
        fc.constant(Array.from({ length: kind.max + 1 }, kind.item)),
      );
    case "object":
      return null;
    case "string": {
      const bad: fc.Arbitrary<unknown>[] = [tooLong(kind.max)];
      if (kind.min) bad.push(fc.constant(""));
      if (kind.format === "text") bad.push(fc.constantFrom(" ", "   ", "\t", "\n \n"));
      if (kind.format === "email")
        bad.push(
          fc.constantFrom(
            "no-at-sign",
            "a@b@c.d",
            "sp ace@example.test",
            "@example.test",
            "x@",
            "x@ y",
          ),
          fc.string({ maxLength: 30 }).filter((s) => !isEmail(s)),
        );
      if (kind.format === "currency")
        bad.push(
          fc.constantFrom(...CURRENCY_CODES).map((c) => c.toLowerCase()),
          fc.constantFrom("Usd", "US", "USDX", "XYZ", "XXX", "XAU", "", " USD", "€"),
        );
      if (kind.format === "date")
        bad.push(
          fc.constantFrom(
            "2024-02-30",
            "2023-02-29",
            "2100-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-04-31",
            "24-01-01",
            "2024-1-1",
            "2024/01/01",
            "2024-01-01T00:00:00Z",
            "tomorrow",
            "",
            "0000-00-00",
          ),
          fc.string({ maxLength: 12 }).filter((s) => !isValidDate(s)),
        );
      if (kind.format === "link")
        bad.push(
          fc.constantFrom(
            "ftp://example.com/a",
            "javascript:alert(1)",
            "https://a b",
            "example.com",
            "http://",
            "",
            "HTTPS:/x",
          ),
        );
      if (kind.format === "token")
        bad.push(
          fc.string({ minLength: 1, maxLength: 200 }).filter((s) => !KNOWN_TOKENS.includes(s)),
          fc.constantFrom(
            "constructor",
            "toString",
            "__proto__",
            "hasOwnProperty",
            "valueOf",
            "TOK_VISA",
            " tok_visa",
          ),
        );
      return fc.oneof(...bad);
    }
  }
}

interface Mutation {
  readonly what: string;
  readonly body: unknown;
  readonly field: string;
}

/** Every single-point mutation of a valid body that API.md says is a 400 naming `field`. */
function mutations(
  base: unknown,
  fields: readonly Field[],
  objects: readonly (readonly Seg[])[],
  extraKeys: readonly string[] = [],
) {
  const arbs: fc.Arbitrary<Mutation>[] = [];
  const present = fields.filter((f) => {
    try {
      return getAt(base, f.path) !== undefined;
    } catch {
      return false;
    }
  });
  const required = present.filter((f) => f.required);
  if (required.length > 0)
    arbs.push(
      fc
        .constantFrom(...required)
        .map((f) => ({ what: "drop", body: dropAt(base, f.path), field: pathText(f.path) })),
    );
  arbs.push(
    fc
      .tuple(
        fc.constantFrom(...objects),
        fc.oneof(
          fc.constantFrom("id", "status", "extra", "0", "12", "a.b", "x y", ...extraKeys),
          fc.string({ minLength: 1, maxLength: 20 }),
        ),
        garbage(2),
      )
      .filter(
        ([at, key]) =>
          !FORBIDDEN_KEYS.includes(key) &&
          !fields.some((f) => pathText(f.path) === pathText([...at, key])),
      )
      .map(([at, key, value]) => ({
        what: `unknown ${key}`,
        body: setAt(base, [...at, key], value),
        field: pathText([...at, key]),
      })),
  );
  const settable = fields.filter((f) => {
    try {
      return getAt(base, f.path.slice(0, -1)) !== undefined;
    } catch {
      return false;
    }
  });
  arbs.push(
    fc.constantFrom(...settable).chain((f) =>
      wrongType(f.kind).map((v) => ({
        what: "wrong type",
        body: setAt(base, f.path, v),
        field: pathText(f.path),
      })),
    ),
  );
  const valued = settable.filter((f) => badValue(f.kind) !== null);
  arbs.push(
    fc.constantFrom(...valued).chain((f) =>
      badValue(f.kind)!.map((v) => ({
        what: "bad value",
        body: setAt(base, f.path, v),
        field: pathText(f.path),
      })),
    ),
  );
  return fc.oneof(...arbs);
}

const milestoneFields = (at: readonly Seg[]): Field[] => [
  {
    path: [...at, "title"],
    required: true,
    kind: { t: "string", min: 1, max: 200, format: "text" },
  },
  { path: [...at, "description"], required: false, kind: { t: "string", max: 10_000 } },
  { path: [...at, "amount"], required: true, kind: { t: "integer", min: 1, max: MAX_AMOUNT } },
  {
    path: [...at, "dueDate"],
    required: false,
    kind: { t: "string", max: 10, format: "date", nullable: true },
  },
];

interface Target {
  readonly token: string | undefined;
  readonly url: string;
  readonly body: unknown;
}

interface RouteCase {
  readonly rules: string;
  readonly method: "POST" | "PATCH";
  readonly path: string;
  readonly fields: readonly Field[];
  readonly objects: readonly (readonly Seg[])[];
  readonly extraKeys?: readonly string[];
  /** Extra mutations that are 400 only in context (a split that does not add up). */
  readonly special?: (base: unknown) => fc.Arbitrary<Mutation>;
  /** Where the valid body succeeds, with that status. */
  readonly open: () => Target;
  readonly openStatus: number;
  /** Where every valid body is refused for state (or payment, or credentials). */
  readonly closed: () => Target;
  readonly closedStatus: number;
}

describe.each(DIALECTS)("request validation properties (%s)", (dialect) => {
  let server: TestServer;
  const users: Record<string, TestUser> = {};
  const ids: Record<string, string> = {};
  const contracts: string[] = [];
  let baseline: string;

  const call = (token: string | undefined, method: string, url: string, body?: unknown) =>
    server.request(method, url, { token, body });
  async function must(answer: Promise<ApiAnswer>, status: number, what: string) {
    const got = await answer;
    if (got.status !== status)
      throw new Error(`${what}: expected ${status}, got ${got.status} ${got.text}`);
    return got.body;
  }

  /** Row counts of every table that records something, and the rows of the stateful ones. */
  async function snapshot(): Promise<string> {
    const db = server.database.handle.db;
    const tables = [
      "users",
      "sessions",
      "payment_methods",
      "contracts",
      "milestones",
      "submissions",
      "refund_requests",
      "disputes",
      "due_date_changes",
      "journal_entries",
      "postings",
      "events",
      "idempotency_keys",
    ];
    const counts = sql.join(
      tables.map((t) => sql`(select count(*) from ${sql.table(t)}) as ${sql.ref(t)}`),
    );
    const [count, ...rows] = await Promise.all([
      sql`select ${counts}`.execute(db),
      ...[
        "contracts",
        "milestones",
        "refund_requests",
        "disputes",
        "due_date_changes",
        "payment_methods",
      ].map((t) => sql`select * from ${sql.table(t)} order by id`.execute(db)),
    ]);
    return JSON.stringify({ count: count.rows, rows: rows.map((r) => r.rows) });
  }

  /** The contracts as their clients see them over the API (escrow, milestones, statuses). */
  async function contractViews(): Promise<unknown[]> {
    return Promise.all(
      contracts.map(
        async (id) => (await call(users.client!.token, "GET", `/v1/contracts/${id}`)).body,
      ),
    );
  }

  /** Checks one refused answer: documented shape and code, and nothing changed since the baseline. */
  async function expectRefusedAndUnchanged(answer: ApiAnswer, what: unknown): Promise<void> {
    if (answer.status >= 500)
      throw new Error(`5xx for ${JSON.stringify(what)}: ${answer.status} ${answer.text}`);
    if (answer.status < 400)
      throw new Error(`accepted ${JSON.stringify(what)}: ${answer.status} ${answer.text}`);
    const error = answer.body?.error;
    if (
      !error ||
      typeof error.code !== "string" ||
      typeof error.message !== "string" ||
      error.message.length === 0
    )
      throw new Error(
        `not the error shape for ${JSON.stringify(what)}: ${answer.status} ${answer.text}`,
      );
    if (DOCUMENTED[error.code] !== answer.status)
      throw new Error(
        `undocumented code or status for ${JSON.stringify(what)}: ${answer.status} ${answer.text}`,
      );
    const after = await snapshot();
    if (after !== baseline) {
      const before = baseline;
      baseline = after; // so shrinking compares each run with the state it started from
      expect(
        JSON.parse(after),
        `a refused request changed the database: ${JSON.stringify(what)}`,
      ).toEqual(JSON.parse(before));
    }
  }

  async function offerActive(amounts: number[]) {
    const contract = await offer(server, users.client!, users.freelancer!, amounts);
    await must(
      call(users.freelancer!.token, "POST", `/v1/contracts/${contract.id}/accept`),
      200,
      "accept",
    );
    contracts.push(contract.id);
    return contract as { id: string; milestones: { id: string }[] };
  }

  /** Ended by its client with one funded milestone's money still in escrow. */
  async function ended() {
    const contract = await offerActive([100_00, 200_00]);
    await must(
      call(users.client!.token, "POST", `/v1/contracts/${contract.id}/end`, { reason: "Stop" }),
      200,
      "end",
    );
    return contract;
  }

  beforeAll(async () => {
    server = await createTestServer(dialect);
    users.client = await server.signUp("Client");
    users.freelancer = await server.signUp("Freelancer", { card: null });
    users.noCard = await server.signUp("NoCard", { card: null });
    users.cardless = await server.signUp("Cardless", { card: null });
    users.staff = await server.staff();
    const c = users.client;
    const f = users.freelancer;
    const s = users.staff;

    // Closed: ended, its first milestone paid, the rest refunded by a resolved dispute.
    const closed = await offerActive([100_00, 100_00]);
    await must(
      call(c.token, "POST", `/v1/milestones/${closed.milestones[0]!.id}/approve`, {}),
      200,
      "approve",
    );
    await must(
      call(c.token, "POST", `/v1/milestones/${closed.milestones[1]!.id}/fund`),
      200,
      "fund",
    );
    await must(call(c.token, "POST", `/v1/contracts/${closed.id}/end`, {}), 200, "end");
    const closedRefund = await must(
      call(c.token, "POST", `/v1/contracts/${closed.id}/refund-requests`, {}),
      201,
      "refund",
    );
    const closedDispute = await must(
      call(f.token, "POST", `/v1/refund-requests/${closedRefund.id}/dispute`, { reason: "No" }),
      200,
      "dispute",
    );
    await must(
      call(s.token, "POST", `/v1/disputes/${closedDispute.disputeId}/resolve`, {
        refundAmount: 100_00,
        releaseAmount: 0,
        reason: "Split",
      }),
      200,
      "resolve",
    );
    ids.closedContract = closed.id;
    ids.closedMilestone = closed.milestones[0]!.id;
    ids.closedRefund = closedRefund.id;
    ids.closedDispute = closedDispute.disputeId;

    // Open targets, one per route so that each final valid request changes only its own.
    const edits = await offerActive([100_00, 200_00]);
    ids.addTo = edits.id;
    ids.patch = edits.milestones[1]!.id;
    ids.dueDate = edits.milestones[0]!.id;
    ids.submit = (await offerActive([100_00])).milestones[0]!.id;
    for (const name of ["requestChanges", "approve"]) {
      const m = (await offerActive([100_00])).milestones[0]!.id;
      await must(
        call(f.token, "POST", `/v1/milestones/${m}/submit`, { message: "Done" }),
        200,
        "submit",
      );
      ids[name] = m;
    }
    ids.end = (await offerActive([100_00])).id;
    ids.refundOn = (await ended()).id;
    const toDispute = await ended();
    ids.dispute = (
      await must(
        call(c.token, "POST", `/v1/contracts/${toDispute.id}/refund-requests`, {}),
        201,
        "refund",
      )
    ).id;
    const toResolve = await ended();
    const refund = await must(
      call(c.token, "POST", `/v1/contracts/${toResolve.id}/refund-requests`, {}),
      201,
      "refund",
    );
    ids.resolve = (
      await must(
        call(f.token, "POST", `/v1/refund-requests/${refund.id}/dispute`, { reason: "No" }),
        200,
        "dispute",
      )
    ).disputeId;
    baseline = await snapshot();
  });
  afterAll(() => server.close());

  let signups = 0;
  const freshEmail = () => `fresh.${++signups}.${Date.now()}@example.test`;

  const ROUTES: Record<string, RouteCase> = {
    "POST /v1/auth/signup": {
      rules: "R1",
      method: "POST",
      path: "/v1/auth/signup",
      fields: [
        {
          path: ["email"],
          required: true,
          kind: { t: "string", min: 3, max: 254, format: "email" },
        },
        { path: ["password"], required: true, kind: { t: "string", min: 8, max: 128 } },
        { path: ["name"], required: true, kind: { t: "string", min: 1, max: 100 } },
      ],
      objects: [[]],
      open: () => ({
        token: undefined,
        url: "/v1/auth/signup",
        body: { email: freshEmail(), password: PASSWORD, name: "New" },
      }),
      openStatus: 201,
      closed: () => ({
        token: undefined,
        url: "/v1/auth/signup",
        body: { email: users.client!.email, password: PASSWORD, name: "Again" },
      }),
      closedStatus: 409,
    },
    "POST /v1/auth/login": {
      rules: "R1",
      method: "POST",
      path: "/v1/auth/login",
      fields: [
        { path: ["email"], required: true, kind: { t: "string", max: 254 } },
        { path: ["password"], required: true, kind: { t: "string", max: 128 } },
      ],
      objects: [[]],
      open: () => ({
        token: undefined,
        url: "/v1/auth/login",
        body: { email: users.client!.email, password: PASSWORD },
      }),
      openStatus: 200,
      closed: () => ({
        token: undefined,
        url: "/v1/auth/login",
        body: { email: users.client!.email, password: "wrong password" },
      }),
      closedStatus: 401,
    },
    "POST /v1/payment-methods": {
      rules: "R5",
      method: "POST",
      path: "/v1/payment-methods",
      fields: [
        {
          path: ["token"],
          required: true,
          kind: { t: "string", min: 1, max: 200, format: "token" },
        },
      ],
      objects: [[]],
      open: () => ({
        token: users.cardless!.token,
        url: "/v1/payment-methods",
        body: { token: "tok_visa" },
      }),
      openStatus: 201,
      closed: () => ({
        token: users.cardless!.token,
        url: "/v1/payment-methods",
        body: { token: "tok_unknown" },
      }),
      closedStatus: 400,
    },
    "POST /v1/contracts": {
      rules: "R3, R6, R7",
      method: "POST",
      path: "/v1/contracts",
      fields: [
        {
          path: ["freelancerEmail"],
          required: true,
          kind: { t: "string", min: 3, max: 254, format: "email" },
        },
        {
          path: ["title"],
          required: true,
          kind: { t: "string", min: 1, max: 200, format: "text" },
        },
        { path: ["description"], required: false, kind: { t: "string", max: 10_000 } },
        { path: ["currency"], required: true, kind: { t: "string", max: 3, format: "currency" } },
        {
          path: ["milestones"],
          required: true,
          kind: { t: "array", min: 1, max: 100, item: () => ({ title: "M", amount: 100 }) },
        },
        { path: ["milestones", 0], required: true, kind: { t: "object" } },
        { path: ["milestones", 1], required: true, kind: { t: "object" } },
        ...milestoneFields(["milestones", 0]),
        ...milestoneFields(["milestones", 1]),
      ],
      objects: [[], ["milestones", 0], ["milestones", 1]],
      extraKeys: ["position", "clientId"],
      special: (base) =>
        fc.constantFrom("nobody@example.test", "NOBODY@example.test ").map((email) => ({
          what: "not a signed-up user",
          body: setAt(base, ["freelancerEmail"], email),
          field: "freelancerEmail",
        })),
      open: () => ({
        token: users.client!.token,
        url: "/v1/contracts",
        body: {
          freelancerEmail: users.freelancer!.email,
          title: "Website",
          description: "A site",
          currency: "USD",
          milestones: [
            { title: "Design", description: "Mock-ups", amount: 100_00, dueDate: "2031-01-31" },
            { title: "Build", amount: 200_00 },
          ],
        },
      }),
      openStatus: 201,
      closed: () => ({
        token: users.noCard!.token,
        url: "/v1/contracts",
        body: {
          freelancerEmail: users.freelancer!.email,
          title: "Website",
          description: "A site",
          currency: "USD",
          milestones: [
            { title: "Design", description: "Mock-ups", amount: 100_00, dueDate: "2031-01-31" },
            { title: "Build", amount: 200_00 },
          ],
        },
      }),
      closedStatus: 402,
    },
    "POST /v1/contracts/:id/milestones": {
      rules: "R3, R10",
      method: "POST",
      path: "/v1/contracts/:id/milestones",
      fields: milestoneFields([]),
      objects: [[]],
      extraKeys: ["position", "status", "fundedAmount"],
      open: () => ({
        token: users.client!.token,
        url: `/v1/contracts/${ids.addTo}/milestones`,
        body: { title: "Launch", description: "Go live", amount: 50_00, dueDate: "2031-03-31" },
      }),
      openStatus: 201,
      closed: () => ({
        token: users.client!.token,
        url: `/v1/contracts/${ids.closedContract}/milestones`,
        body: { title: "Launch", description: "Go live", amount: 50_00, dueDate: "2031-03-31" },
      }),
      closedStatus: 409,
    },
    "PATCH /v1/milestones/:id": {
      rules: "R3, R10",
      method: "PATCH",
      path: "/v1/milestones/:id",
      fields: [
        { path: ["amount"], required: false, kind: { t: "integer", min: 1, max: MAX_AMOUNT } },
        { path: ["description"], required: false, kind: { t: "string", max: 10_000 } },
      ],
      objects: [[]],
      // R10: the title and the position never change.
      extraKeys: ["title", "position", "title", "position", "status", "dueDate"],
      open: () => ({
        token: users.client!.token,
        url: `/v1/milestones/${ids.patch}`,
        body: { amount: 150_00, description: "More" },
      }),
      openStatus: 200,
      closed: () => ({
        token: users.client!.token,
        url: `/v1/milestones/${ids.closedMilestone}`,
        body: { amount: 150_00, description: "More" },
      }),
      closedStatus: 409,
    },
    "POST /v1/milestones/:id/submit": {
      rules: "R12",
      method: "POST",
      path: "/v1/milestones/:id/submit",
      fields: [
        {
          path: ["message"],
          required: true,
          kind: { t: "string", min: 1, max: 10_000, format: "text" },
        },
        {
          path: ["links"],
          required: false,
          kind: { t: "array", max: 20, item: () => "https://example.com/x" },
        },
        { path: ["links", 0], required: false, kind: { t: "string", max: 2000, format: "link" } },
      ],
      objects: [[]],
      open: () => ({
        token: users.freelancer!.token,
        url: `/v1/milestones/${ids.submit}/submit`,
        body: { message: "Here", links: ["https://example.com/work", "http://example.com/more"] },
      }),
      openStatus: 200,
      closed: () => ({
        token: users.freelancer!.token,
        url: `/v1/milestones/${ids.closedMilestone}/submit`,
        body: { message: "Here", links: ["https://example.com/work", "http://example.com/more"] },
      }),
      closedStatus: 409,
    },
    "POST /v1/milestones/:id/request-changes": {
      rules: "R13",
      method: "POST",
      path: "/v1/milestones/:id/request-changes",
      fields: [
        {
          path: ["message"],
          required: true,
          kind: { t: "string", min: 1, max: 10_000, format: "text" },
        },
      ],
      objects: [[]],
      open: () => ({
        token: users.client!.token,
        url: `/v1/milestones/${ids.requestChanges}/request-changes`,
        body: { message: "Bigger" },
      }),
      openStatus: 200,
      closed: () => ({
        token: users.client!.token,
        url: `/v1/milestones/${ids.closedMilestone}/request-changes`,
        body: { message: "Bigger" },
      }),
      closedStatus: 409,
    },
    "POST /v1/milestones/:id/approve": {
      rules: "R3, R13, R15",
      method: "POST",
      path: "/v1/milestones/:id/approve",
      fields: [
        { path: ["amount"], required: false, kind: { t: "integer", min: 1, max: MAX_AMOUNT } },
      ],
      objects: [[]],
      open: () => ({
        token: users.client!.token,
        url: `/v1/milestones/${ids.approve}/approve`,
        body: { amount: 90_00 },
      }),
      openStatus: 200,
      closed: () => ({
        token: users.client!.token,
        url: `/v1/milestones/${ids.closedMilestone}/approve`,
        body: { amount: 90_00 },
      }),
      closedStatus: 409,
    },
    "POST /v1/milestones/:id/due-date-changes": {
      rules: "R16",
      method: "POST",
      path: "/v1/milestones/:id/due-date-changes",
      fields: [
        { path: ["dueDate"], required: true, kind: { t: "string", max: 10, format: "date" } },
      ],
      objects: [[]],
      open: () => ({
        token: users.freelancer!.token,
        url: `/v1/milestones/${ids.dueDate}/due-date-changes`,
        body: { dueDate: "2031-12-31" },
      }),
      openStatus: 201,
      closed: () => ({
        token: users.freelancer!.token,
        url: `/v1/milestones/${ids.closedMilestone}/due-date-changes`,
        body: { dueDate: "2031-12-31" },
      }),
      closedStatus: 409,
    },
    "POST /v1/contracts/:id/end": {
      rules: "R9",
      method: "POST",
      path: "/v1/contracts/:id/end",
      fields: [{ path: ["reason"], required: false, kind: { t: "string", max: 5000 } }],
      objects: [[]],
      open: () => ({
        token: users.client!.token,
        url: `/v1/contracts/${ids.end}/end`,
        body: { reason: "Done" },
      }),
      openStatus: 200,
      closed: () => ({
        token: users.client!.token,
        url: `/v1/contracts/${ids.closedContract}/end`,
        body: { reason: "Done" },
      }),
      closedStatus: 409,
    },
    "POST /v1/contracts/:id/refund-requests": {
      rules: "R17",
      method: "POST",
      path: "/v1/contracts/:id/refund-requests",
      fields: [{ path: ["reason"], required: false, kind: { t: "string", max: 5000 } }],
      objects: [[]],
      extraKeys: ["amount"],
      open: () => ({
        token: users.client!.token,
        url: `/v1/contracts/${ids.refundOn}/refund-requests`,
        body: { reason: "Not started" },
      }),
      openStatus: 201,
      closed: () => ({
        token: users.client!.token,
        url: `/v1/contracts/${ids.closedContract}/refund-requests`,
        body: { reason: "Not started" },
      }),
      closedStatus: 409,
    },
    "POST /v1/refund-requests/:id/dispute": {
      rules: "R18",
      method: "POST",
      path: "/v1/refund-requests/:id/dispute",
      fields: [
        {
          path: ["reason"],
          required: true,
          kind: { t: "string", min: 1, max: 5000, format: "text" },
        },
      ],
      objects: [[]],
      open: () => ({
        token: users.freelancer!.token,
        url: `/v1/refund-requests/${ids.dispute}/dispute`,
        body: { reason: "Delivered" },
      }),
      openStatus: 200,
      closed: () => ({
        token: users.freelancer!.token,
        url: `/v1/refund-requests/${ids.closedRefund}/dispute`,
        body: { reason: "Delivered" },
      }),
      closedStatus: 409,
    },
    "POST /v1/disputes/:id/resolve": {
      rules: "R19",
      method: "POST",
      path: "/v1/disputes/:id/resolve",
      fields: [
        {
          path: ["refundAmount"],
          required: true,
          kind: { t: "integer", min: 0, max: MAX_AMOUNT * 100 },
        },
        {
          path: ["releaseAmount"],
          required: true,
          kind: { t: "integer", min: 0, max: MAX_AMOUNT * 100 },
        },
        {
          path: ["reason"],
          required: true,
          kind: { t: "string", min: 1, max: 5000, format: "text" },
        },
      ],
      objects: [[]],
      // R19: the two parts add up to exactly the disputed amount (100_00 here), else 400 on refundAmount.
      special: () =>
        fc
          .tuple(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }))
          .filter(([a, b]) => a + b !== 100_00)
          .map(([refundAmount, releaseAmount]) => ({
            what: "split that does not add up",
            body: { refundAmount, releaseAmount, reason: "Split" },
            field: "refundAmount",
          })),
      open: () => ({
        token: users.staff!.token,
        url: `/v1/disputes/${ids.resolve}/resolve`,
        body: { refundAmount: 40_00, releaseAmount: 60_00, reason: "Partly done" },
      }),
      openStatus: 200,
      closed: () => ({
        token: users.staff!.token,
        url: `/v1/disputes/${ids.closedDispute}/resolve`,
        body: { refundAmount: 40_00, releaseAmount: 60_00, reason: "Partly done" },
      }),
      closedStatus: 409,
    },
  };

  const arbitraryBody = fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc.jsonValue({ maxDepth: 4 }),
    fc.object({ maxDepth: 2 }),
    fc.constant(undefined),
  );

  for (const [name, route] of Object.entries(ROUTES)) {
    it(`${route.rules}, R4: ${name}: random JSON bodies never answer 5xx, every 4xx is a documented error, and nothing changes`, async () => {
      const views = await contractViews();
      await fc.assert(
        fc.asyncProperty(arbitraryBody, async (body) => {
          const target = route.closed();
          const answer = await server.request(route.method, target.url, {
            token: target.token,
            body,
          });
          await expectRefusedAndUnchanged(answer, body);
        }),
        params,
      );
      expect(await contractViews()).toEqual(views);
    });

    it(`${route.rules}, R4: ${name}: every mutated body is a 400 naming the field, before any state check, and nothing changes`, async () => {
      const views = await contractViews();
      const arbitrary = fc.tuple(
        fc.constantFrom("open", "closed"),
        fc.constant(null).chain(() => {
          const base = route.open().body;
          return route.special
            ? fc.oneof(
                mutations(base, route.fields, route.objects, route.extraKeys),
                route.special(base),
              )
            : mutations(base, route.fields, route.objects, route.extraKeys);
        }),
      );
      await fc.assert(
        fc.asyncProperty(arbitrary, async ([which, mutation]) => {
          const target = which === "open" ? route.open() : route.closed();
          const answer = await server.request(route.method, target.url, {
            token: target.token,
            body: mutation.body,
          });
          await expectRefusedAndUnchanged(answer, { which, ...mutation });
          expect({
            which,
            what: mutation.what,
            status: answer.status,
            code: answer.body.error.code,
            field: answer.body.error.field,
          }).toEqual({
            which,
            what: mutation.what,
            status: 400,
            code: "validation_failed",
            field: mutation.field,
          });
        }),
        params,
      );
      expect(await contractViews()).toEqual(views);
      // The targets were real: the valid body is refused for state where closed, and works where open.
      const closed = route.closed();
      const refused = await server.request(route.method, closed.url, {
        token: closed.token,
        body: closed.body,
      });
      expect(refused.status).toBe(route.closedStatus);
      await expectRefusedAndUnchanged(refused, "valid body on the closed target");
      const open = route.open();
      const done = await server.request(route.method, open.url, {
        token: open.token,
        body: open.body,
      });
      expect(done.status, done.text).toBe(route.openStatus);
      baseline = await snapshot();
    });
  }

  it("R4: malformed JSON text (and prototype-poisoning keys) is 400 validation_failed on every route with a body, and nothing changes", async () => {
    const notJson = fc.string({ maxLength: 40 }).filter((text) => {
      if (text.trim() === "") return false;
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    });
    const raw = fc.oneof(
      notJson,
      fc.constantFrom(
        "{",
        "[",
        '{"a":}',
        "{'a':1}",
        '{"amount": 1,}',
        "NaN",
        "undefined",
        '{"a":1}}',
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{"x":1}}}',
      ),
      fc.jsonValue().map((v) => `${JSON.stringify(v)}x`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(ROUTES)),
        fc.constantFrom("open", "closed"),
        raw,
        async (name, which, text) => {
          const route = ROUTES[name]!;
          const target = which === "open" ? route.open() : route.closed();
          const answer = await server.request(route.method, target.url, {
            token: target.token,
            raw: text,
          });
          await expectRefusedAndUnchanged(answer, { url: target.url, text });
          expect({ status: answer.status, code: answer.body.error.code }).toEqual({
            status: 400,
            code: "validation_failed",
          });
        },
      ),
      params,
    );
  });

  it("R1, R5, R6, R12, R4: any text (NUL characters, lone surrogates) in a text field is refused with a documented 400 or stored, never a 5xx", async () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", minLength: 1, maxLength: 30 }),
      fc.string({ maxLength: 10 }).map((s) => `${s}\u0000${s}`),
      fc.constantFrom("\ud800", "a\udfffb", "\u0000"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ...Object.entries(ROUTES).flatMap(([name, route]) =>
            route.fields.filter((f) => f.kind.t === "string").map((f) => [name, f.path] as const),
          ),
        ),
        fc.constantFrom("open", "closed"),
        text,
        async ([name, path], which, value) => {
          const route = ROUTES[name]!;
          const target = which === "open" ? route.open() : route.closed();
          const body = setAt(target.body, path, value);
          const answer = await server.request(route.method, target.url, {
            token: target.token,
            body,
          });
          expect(answer.status, answer.text).toBeLessThan(500);
          if (answer.status >= 400) {
            await expectRefusedAndUnchanged(answer, { url: target.url, body });
          } else {
            baseline = await snapshot(); // a valid text was stored: that is allowed
          }
        },
      ),
      { ...params, numRuns: Math.min(RUNS, 60) },
    );
  });

  it("R3, R6, R10: the examples API.md spells out answer 400 with the documented field, and change nothing", async () => {
    const c = users.client!;
    const offerBody = (over: Record<string, unknown>, milestone: Record<string, unknown> = {}) => ({
      freelancerEmail: users.freelancer!.email,
      title: "Site",
      currency: "USD",
      milestones: [
        { title: "One", amount: 100 },
        { title: "Two", amount: 200, ...milestone },
      ],
      ...over,
    });
    const cases: [string, TestUser, string, string, unknown, string][] = [
      [
        "PATCH title (R10)",
        c,
        "PATCH",
        `/v1/milestones/${ids.closedMilestone}`,
        { title: "New" },
        "title",
      ],
      [
        "PATCH position (R10)",
        c,
        "PATCH",
        `/v1/milestones/${ids.closedMilestone}`,
        { position: 1 },
        "position",
      ],
      [
        "string amount (R3)",
        c,
        "POST",
        "/v1/contracts",
        offerBody({}, { amount: "200" }),
        "milestones[1].amount",
      ],
      [
        "float amount (R3)",
        c,
        "POST",
        "/v1/contracts",
        offerBody({}, { amount: 199.5 }),
        "milestones[1].amount",
      ],
      [
        "amount over 10^10 (R3)",
        c,
        "POST",
        "/v1/contracts",
        offerBody({}, { amount: MAX_AMOUNT + 1 }),
        "milestones[1].amount",
      ],
      [
        "zero amount (R3)",
        c,
        "POST",
        "/v1/contracts",
        offerBody({}, { amount: 0 }),
        "milestones[1].amount",
      ],
      [
        "lower-case currency (R3)",
        c,
        "POST",
        "/v1/contracts",
        offerBody({ currency: "usd" }),
        "currency",
      ],
      [
        "impossible due date",
        c,
        "POST",
        "/v1/contracts",
        offerBody({}, { dueDate: "2025-02-29" }),
        "milestones[1].dueDate",
      ],
      [
        "unknown milestone field",
        c,
        "POST",
        "/v1/contracts",
        offerBody({}, { position: 2 }),
        "milestones[1].position",
      ],
      [
        "no milestones (R6)",
        c,
        "POST",
        "/v1/contracts",
        offerBody({ milestones: [] }),
        "milestones",
      ],
      [
        "offer to yourself (R6)",
        c,
        "POST",
        "/v1/contracts",
        offerBody({ freelancerEmail: c.email }),
        "freelancerEmail",
      ],
      // Validation (400) comes before payment (402): the card-less client gets the 400 too.
      [
        "to yourself, no card",
        users.noCard!,
        "POST",
        "/v1/contracts",
        offerBody({ freelancerEmail: users.noCard!.email }),
        "freelancerEmail",
      ],
      [
        "approve 0 (R15)",
        c,
        "POST",
        `/v1/milestones/${ids.closedMilestone}/approve`,
        { amount: 0 },
        "amount",
      ],
      [
        "approve over 10^10 (R15)",
        c,
        "POST",
        `/v1/milestones/${ids.closedMilestone}/approve`,
        { amount: MAX_AMOUNT + 1 },
        "amount",
      ],
    ];
    for (const [what, user, method, url, body, field] of cases) {
      const answer = await server.request(method, url, { token: user.token, body });
      await expectRefusedAndUnchanged(answer, what);
      expect({
        what,
        status: answer.status,
        code: answer.body.error.code,
        field: answer.body.error.field,
      }).toEqual({
        what,
        status: 400,
        code: "validation_failed",
        field,
      });
    }
  });

  it("R4: a body over the size limit is refused (413 validation_failed) and changes nothing", async () => {
    const huge = { message: "x".repeat(300 * 1024) };
    const answer = await call(
      users.freelancer!.token,
      "POST",
      `/v1/milestones/${ids.closedMilestone}/submit`,
      huge,
    );
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe("validation_failed");
    expect(await snapshot()).toBe(baseline);
  });

  it("R4: after every refused request the ledger still balances", async () => {
    expect(await server.violations()).toEqual([]);
  });
});
