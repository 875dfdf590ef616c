/** Query plans of the hot background queries: they read an index in order instead of sorting. */
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
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
});
