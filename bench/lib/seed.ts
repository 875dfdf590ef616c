/**
 * Seeding. A few template contracts are made through the real application (HTTP routes, use
 * cases, ledger), then cloned in bulk: every row of the template (contract, milestones,
 * submissions, journal entries, postings, events) is copied with each id rewritten, so clones
 * are byte-for-byte the rows the application writes, only with new ids and parties.
 * verify-ledger is run on the result by the caller.
 */
import type { Kysely } from "kysely";
import type { RunningApp } from "../../src/main.js";
import type { Database } from "../../src/storage/schema.js";
import { call, must } from "./app.js";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const ID_PATTERN = /[a-z]{2,6}_[0-9A-HJKMNP-TV-Z]{26}/g;

function base32(n: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 32]! + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** The id of `id`'s copy number `k`: same prefix and time (so ordering holds), new random part. */
export function derive(id: string, k: number): string {
  const cut = id.indexOf("_") + 1;
  const ulid = id.slice(cut);
  return `${id.slice(0, cut)}${ulid.slice(0, 10)}${base32(k, 6)}${ulid.slice(16)}`;
}

export interface Party {
  readonly id: string;
  readonly email: string;
  readonly token: string;
}
export interface Pair {
  readonly client: Party;
  readonly freelancer: Party;
}

export async function signUpPairs(app: RunningApp, count: number, tag: string): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const make = async (role: string): Promise<Party> => {
      const email = `${role}${i}-${tag}@bench.example`;
      const body = (await must(
        call(app, "POST", "/v1/auth/signup", undefined, {
          email,
          password: "a long bench password",
          name: `${role} ${i}`,
        }),
        201,
        "signup",
      )) as { user: { id: string }; token: string };
      return { id: body.user.id, email, token: body.token };
    };
    const client = await make("client");
    const freelancer = await make("freelancer");
    await must(
      call(app, "POST", "/v1/payment-methods", client.token, { token: "tok_visa" }),
      201,
      "payment method",
    );
    pairs.push({ client, freelancer });
  }
  return pairs;
}

export type TemplateKind = "active" | "active_m1_paid" | "submitted" | "all_paid";

export interface Template {
  readonly kind: TemplateKind;
  readonly contractId: string;
  /** Milestone ids by position (1-based order). */
  readonly milestones: readonly string[];
}

/** Makes one template contract through the real routes. */
export async function makeTemplate(app: RunningApp, pair: Pair, kind: TemplateKind) {
  const contract = (await must(
    call(app, "POST", "/v1/contracts", pair.client.token, {
      freelancerEmail: pair.freelancer.email,
      title: `Bench contract (${kind})`,
      description: "Fixed-price work, four milestones",
      currency: "USD",
      milestones: [1, 2, 3, 4].map((n) => ({ title: `Milestone ${n}`, amount: 10_000 * n })),
    }),
    201,
    "offer",
  )) as { id: string; milestones: { id: string }[] };
  const ms = contract.milestones.map((m) => m.id);
  await must(
    call(app, "POST", `/v1/contracts/${contract.id}/accept`, pair.freelancer.token),
    200,
    "accept",
  );
  const approve = (id: string) =>
    must(call(app, "POST", `/v1/milestones/${id}/approve`, pair.client.token, {}), 200, "approve");
  const fund = (id: string) =>
    must(call(app, "POST", `/v1/milestones/${id}/fund`, pair.client.token), 200, "fund");
  if (kind === "submitted") {
    await must(
      call(app, "POST", `/v1/milestones/${ms[0]}/submit`, pair.freelancer.token, {
        message: "work delivered",
      }),
      200,
      "submit",
    );
  }
  if (kind === "active_m1_paid" || kind === "all_paid") await approve(ms[0]!);
  if (kind === "all_paid") {
    for (const id of ms.slice(1)) {
      await fund(id);
      await approve(id);
    }
  }
  return { kind, contractId: contract.id, milestones: ms } satisfies Template;
}

const TABLES = [
  "contracts",
  "milestones",
  "submissions",
  "journal_entries",
  "postings",
  "events",
] as const;
type Table = (typeof TABLES)[number];
type Row = Record<string, unknown>;

async function templateRows(db: Kysely<Database>, t: Template): Promise<Record<Table, Row[]>> {
  const contracts = await db
    .selectFrom("contracts")
    .selectAll()
    .where("id", "=", t.contractId)
    .execute();
  const milestones = await db
    .selectFrom("milestones")
    .selectAll()
    .where("contract_id", "=", t.contractId)
    .execute();
  const submissions = await db
    .selectFrom("submissions")
    .selectAll()
    .where("milestone_id", "in", [...t.milestones])
    .execute();
  const byContract = (table: "journal_entries" | "postings" | "events") =>
    db.selectFrom(table).selectAll().where("contract_id", "=", t.contractId).execute();
  return {
    contracts,
    milestones,
    submissions,
    journal_entries: await byContract("journal_entries"),
    postings: await byContract("postings"),
    events: await byContract("events"),
  };
}

export interface CloneSet {
  readonly template: Template;
  readonly count: number;
  /** The pair whose users the template belongs to, and the pairs clones are spread over. */
  readonly templatePair: Pair;
  readonly pairs: readonly Pair[];
}

export function pairOf(set: CloneSet, k: number): Pair {
  return set.pairs[k % set.pairs.length]!;
}

/** The id map from the template to its copy `k` (users: to the copy's pair). */
export function cloneMap(set: CloneSet, ids: readonly string[], k: number): Map<string, string> {
  const map = new Map<string, string>();
  const pair = pairOf(set, k);
  for (const id of ids) map.set(id, derive(id, k));
  map.set(set.templatePair.client.id, pair.client.id);
  map.set(set.templatePair.freelancer.id, pair.freelancer.id);
  return map;
}

export function rewrite(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (typeof value !== "string") return value;
  return value.replace(ID_PATTERN, (id) => map.get(id) ?? id);
}

/** Inserts `set.count` copies of the template; returns the template's own ids (not users). */
export async function cloneTemplate(db: Kysely<Database>, set: CloneSet, maxParams: number) {
  const rows = await templateRows(db, set.template);
  const users = new Set([set.templatePair.client.id, set.templatePair.freelancer.id]);
  const ids = new Set<string>();
  for (const table of TABLES) {
    for (const row of rows[table]) {
      for (const v of Object.values(row)) {
        if (typeof v === "string") for (const m of v.match(ID_PATTERN) ?? []) ids.add(m);
      }
    }
  }
  for (const u of users) ids.delete(u);
  const idList = [...ids];
  for (const table of TABLES) {
    const template = rows[table];
    if (template.length === 0) continue;
    const columns = Object.keys(template[0]!).length;
    const chunk = Math.max(1, Math.floor(maxParams / columns));
    let buffer: Row[] = [];
    const flush = async () => {
      if (buffer.length === 0) return;
      await db
        .insertInto(table)
        .values(buffer as never)
        .execute();
      buffer = [];
    };
    for (let k = 0; k < set.count; k++) {
      const map = cloneMap(set, idList, k);
      for (const row of template) {
        const copy: Row = {};
        for (const [key, v] of Object.entries(row)) copy[key] = rewrite(v, map);
        buffer.push(copy);
        if (buffer.length >= chunk) await flush();
      }
    }
    await flush();
  }
  return idList;
}
