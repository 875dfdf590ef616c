/**
 * Small helpers for the calendar scenarios: set up a contract in one line, read what the rules
 * left behind (statuses, money, events, refund requests), and name a refusal by its code.
 */
import type { Caller } from "../../src/domain/aggregate.js";
import type { Result } from "../../src/domain/result.js";
import type { CommandContext, User } from "../../src/app/ports.js";
import { acceptOffer } from "../../src/app/use-cases/accept-offer.js";
import { makeOffer } from "../../src/app/use-cases/make-offer.js";
import type { TestEngine } from "../support/engine.js";
import { balance, milestoneRows } from "../support/read.js";

export const SECOND = 1000;

export type Person = Caller & User;

export interface Parties {
  readonly client: Person;
  readonly freelancer: Person;
}

export async function parties(engine: TestEngine): Promise<Parties> {
  return { client: await engine.user("Carol"), freelancer: await engine.user("Frank") };
}

export interface OfferOptions {
  /** Accept the offer right away (default true). */
  readonly accept?: boolean;
  readonly dueDates?: readonly (string | null)[];
}

/** Day-0 style setup: an offer with one milestone per amount, first funded, then accepted. */
export async function contractWith(
  engine: TestEngine,
  { client, freelancer }: Parties,
  amounts: readonly number[],
  options: OfferOptions = {},
): Promise<{ contractId: string; ids: string[] }> {
  const { contractId } = await engine.must((ctx) =>
    makeOffer(ctx, client, {
      freelancerEmail: freelancer.email,
      title: "Website",
      currency: "USD",
      milestones: amounts.map((amount, index) => ({
        title: `Milestone ${index + 1}`,
        amount,
        dueDate: options.dueDates?.[index] ?? null,
      })),
    }),
  );
  if (options.accept ?? true) await engine.must((ctx) => acceptOffer(ctx, freelancer, contractId));
  const ids = (await milestoneRows(engine, contractId)).map((m) => m.id);
  return { contractId, ids };
}

/** The code a refused command answers with, or "ok" when it was carried out. */
export async function outcome<T>(
  engine: TestEngine,
  fn: (ctx: CommandContext) => Promise<Result<T>>,
): Promise<string> {
  const result = await engine.run(fn);
  return result.ok ? "ok" : result.code;
}

export async function statuses(engine: TestEngine, contractId: string): Promise<string[]> {
  return (await milestoneRows(engine, contractId)).map((m) => m.status);
}

export async function milestone(engine: TestEngine, id: string) {
  return engine.database.handle.db
    .selectFrom("milestones")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

export function escrow(engine: TestEngine, contractId: string): Promise<number> {
  return balance(engine, `escrow:${contractId}`);
}

export function charged(engine: TestEngine, client: Person): Promise<number> {
  return balance(engine, `payment_source:${client.id}`);
}

export function earned(engine: TestEngine, freelancer: Person): Promise<number> {
  return balance(engine, `earnings:${freelancer.id}`);
}

export async function events(engine: TestEngine, contractId: string) {
  return engine.database.handle.db
    .selectFrom("events")
    .select(["type", "actor_kind", "actor_user_id", "created_at", "data"])
    .where("contract_id", "=", contractId)
    .orderBy("id")
    .execute();
}

/** The events of one type, oldest first. */
export async function eventsOf(engine: TestEngine, contractId: string, type: string) {
  return (await events(engine, contractId)).filter((e) => e.type === type);
}

export async function refundRequests(engine: TestEngine, contractId: string) {
  return engine.database.handle.db
    .selectFrom("refund_requests")
    .selectAll()
    .where("contract_id", "=", contractId)
    .orderBy("id")
    .execute();
}

export async function submissions(engine: TestEngine, milestoneId: string) {
  return engine.database.handle.db
    .selectFrom("submissions")
    .selectAll()
    .where("milestone_id", "=", milestoneId)
    .orderBy("id")
    .execute();
}

export async function journalCauses(engine: TestEngine, contractId: string): Promise<string[]> {
  const rows = await engine.database.handle.db
    .selectFrom("journal_entries")
    .select("cause")
    .where("contract_id", "=", contractId)
    .orderBy("id")
    .execute();
  return rows.map((r) => r.cause);
}

export async function countRows(
  engine: TestEngine,
  table: "contracts" | "milestones" | "journal_entries" | "postings" | "events",
): Promise<number> {
  const row = await engine.database.handle.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
