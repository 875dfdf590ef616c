/** Small readers for assertions: rows as the rules see them. */
import type { TestEngine } from "./engine.js";

export async function contractRow(engine: TestEngine, id: string) {
  return engine.database.handle.db
    .selectFrom("contracts")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

export async function milestoneRows(engine: TestEngine, contractId: string) {
  return engine.database.handle.db
    .selectFrom("milestones")
    .selectAll()
    .where("contract_id", "=", contractId)
    .orderBy("position")
    .execute();
}

export async function balance(engine: TestEngine, account: string): Promise<number> {
  const row = await engine.database.handle.db
    .selectFrom("postings")
    .select((eb) => eb.fn.sum<number>("amount").as("total"))
    .where("account", "=", account)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

export async function eventTypes(engine: TestEngine, contractId: string): Promise<string[]> {
  const rows = await engine.database.handle.db
    .selectFrom("events")
    .select("type")
    .where("contract_id", "=", contractId)
    .orderBy("id")
    .execute();
  return rows.map((r) => r.type);
}
