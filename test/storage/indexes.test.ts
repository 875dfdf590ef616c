/** Query plans of the hot background queries: they read an index in order instead of sorting. */
import { CompiledQuery, sql, type KyselyPlugin } from "kysely";
import { describe, expect, it } from "vitest";
import { UlidGenerator } from "../../src/infra/ids.js";
import { NotificationStore } from "../../src/storage/notifications.js";
import { createTestDatabase } from "../support/dialects.js";

describe("indexes", () => {
  it("R22: claiming due deliveries walks the due index in (next_attempt_at, id) order, with no sort", async () => {
    const database = await createTestDatabase("sqlite");
    try {
      const plan = await sql<{ detail: string }>`explain query plan
        select "id" from "deliveries"
        where "status" = ${"pending"} and "next_attempt_at" <= ${0}
          and ("lease_until" is null or "lease_until" <= ${0})
        order by "next_attempt_at", "id" limit ${50}`.execute(database.handle.db);
      const details = plan.rows.map((r) => r.detail).join("\n");
      expect(details).toMatch(/USING INDEX deliveries_due/);
      expect(details).not.toMatch(/TEMP B-TREE/);
    } finally {
      await database.drop();
    }
  });

  it("R22: an endpoint's delivery log reads the webhook-only index in id order, with no sort", async () => {
    const database = await createTestDatabase("sqlite");
    try {
      // The statement the store runs, captured as compiled, then planned by SQLite.
      const db = database.handle.db;
      const ran: CompiledQuery[] = [];
      const capture: KyselyPlugin = {
        transformQuery: ({ node, queryId }) => {
          ran.push(db.getExecutor().compileQuery(node, queryId));
          return node;
        },
        transformResult: ({ result }) => Promise.resolve(result),
      };
      const store = new NotificationStore(
        { ...database.handle, db: db.withPlugin(capture) },
        new UlidGenerator(),
      );
      await store.deliveries("whk_1", { limit: 50 });
      expect(ran).toHaveLength(1);
      const plan = await db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${ran[0]!.sql}`, [...ran[0]!.parameters]),
      );
      const details = plan.rows.map((r) => r.detail).join("\n");
      expect(details).toMatch(/USING INDEX deliveries_recipient/);
      expect(details).not.toMatch(/TEMP B-TREE/);
      // Email deliveries are not in it.
      const [index] = (
        await sql<{
          sql: string;
        }>`select sql from sqlite_master where name = 'deliveries_recipient'`.execute(
          database.handle.db,
        )
      ).rows;
      expect(index!.sql).toMatch(/where channel = 'webhook'/i);
    } finally {
      await database.drop();
    }
  });
});
