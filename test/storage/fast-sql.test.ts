/**
 * The hot path's hand-made inserts: an upsert overwrites a row's state but leaves the columns a
 * row never changes (its parties, its place, its time) as they were created, on both engines;
 * and the group commit's statements run straight on the SQLite writer.
 */
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UlidGenerator } from "../../src/infra/ids.js";
import { planFanOut } from "../../src/notify/fan-out.js";
import { insertRows, query, runDirectly } from "../../src/storage/fast-sql.js";
import { NotificationStore } from "../../src/storage/notifications.js";
import type { SqlStore } from "../../src/storage/sql-store.js";
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

describe("statements straight on the SQLite writer", () => {
  let engine: TestEngine;
  beforeEach(async () => {
    engine = await createTestEngine("sqlite");
  });
  afterEach(() => engine.close());

  it("R24: a command's statements run on the writer connection directly, in the group commit's transaction", async () => {
    const direct = vi.spyOn(engine.database.handle.direct!, "runInTransaction");
    await contractWith(engine, await parties(engine), [50_000]);
    const texts = direct.mock.calls.map(([text]) => text);
    expect(texts).toContain("savepoint grouped_command");
    expect(texts.some((t) => t.startsWith('insert into "journal_entries"'))).toBe(true);
    // Inside the transaction every one ran there (none fell back to Kysely).
    expect(direct.mock.results.every((r) => r.type === "return" && r.value !== undefined)).toBe(
      true,
    );
  });

  it("R22: the notification fan-out's statements, on its own view of the tables, run on the writer directly", async () => {
    await contractWith(engine, await parties(engine), [50_000]);
    const store = engine.deps.store as SqlStore;
    const notifications = new NotificationStore(
      engine.database.handle,
      new UlidGenerator(),
      store.groupCommit,
    );
    const direct = vi.spyOn(engine.database.handle.direct!, "runInTransaction");
    const taken = await notifications.fanOut(50, Date.now(), (input) =>
      planFanOut(input, "http://escrow.test"),
    );
    expect(taken).toBeGreaterThan(0);
    const texts = direct.mock.calls.map(([text]) => text);
    expect(texts.some((t) => t.startsWith('insert into "notifications"'))).toBe(true);
    expect(texts.some((t) => t.startsWith('delete from "outbox"'))).toBe(true);
    expect(await notifications.hasOutbox()).toBe(false);
  });

  it("R24: an instance with a plugin is not run directly: Kysely runs it, plugin and all", async () => {
    const { handle } = engine.database;
    const direct = vi.spyOn(handle.direct!, "runInTransaction");
    const seen: string[] = [];
    const result = await handle.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      const watched = conn.withPlugin({
        transformQuery: ({ node }) => node,
        transformResult: ({ result }) => {
          seen.push("result");
          return Promise.resolve(result);
        },
      });
      runDirectly(watched, handle.direct!);
      const rows = await query<{ one: number }>(watched, "select 1 as one", []);
      await sql`rollback`.execute(conn);
      return rows;
    });
    expect(result.rows).toEqual([{ one: 1 }]);
    expect(seen).toEqual(["result"]);
    expect(direct).not.toHaveBeenCalled();
  });

  it("R24: a registered connection outside a transaction goes through Kysely, which runs the statement", async () => {
    const { handle } = engine.database;
    const direct = vi.spyOn(handle.direct!, "runInTransaction");
    const result = await handle.db.connection().execute(async (conn) => {
      runDirectly(conn, handle.direct!);
      return query<{ one: number }>(conn, "select 1 as one", []);
    });
    expect(result.rows).toEqual([{ one: 1 }]);
    expect(direct.mock.results).toEqual([{ type: "return", value: undefined }]);
  });
});
