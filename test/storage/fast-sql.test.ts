/**
 * The hot path's hand-made inserts: an upsert overwrites a row's state but leaves the columns a
 * row never changes (its parties, its place, its time) as they were created, on both engines.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertRows } from "../../src/storage/fast-sql.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { contractWith, parties } from "../scenarios/calendar.js";

describe.each(DIALECTS)("fast SQL upserts (%s)", (dialect) => {
  let engine: TestEngine;
  let contractId: string;
  beforeEach(async () => {
    engine = await createTestEngine(dialect);
    ({ contractId } = await contractWith(engine, await parties(engine), [50_000], {
      accept: false,
    }));
  });
  afterEach(() => engine.close());

  const db = () => engine.database.handle.db;
  const contract = () =>
    db().selectFrom("contracts").selectAll().where("id", "=", contractId).executeTakeFirstOrThrow();

  it("R4: an upsert writes the row's state and leaves its fixed columns as created", async () => {
    const before = await contract();
    const stranger = await engine.user("Sam");
    const changed = {
      ...before,
      status: "cancelled",
      title: "Website, phase 1",
      client_id: stranger.id,
      created_at: before.created_at + 1,
    };
    await insertRows(db(), "contracts", [changed], {
      upsert: true,
      fixed: ["client_id", "created_at"],
    });
    const after = await contract();
    expect(after).toEqual({ ...before, status: "cancelled", title: "Website, phase 1" });
    // Without `fixed`, every column is overwritten.
    await insertRows(db(), "contracts", [changed], { upsert: true });
    expect(await contract()).toEqual(changed);
  });
});
