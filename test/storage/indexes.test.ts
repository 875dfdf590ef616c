/** Query plans of the hot background queries: they read an index in order instead of sorting. */
import { CompiledQuery, sql, type Kysely, type KyselyPlugin } from "kysely";
import { describe, expect, it } from "vitest";
import { UlidGenerator } from "../../src/infra/ids.js";
import { dueRulesQuery } from "../../src/storage/due-rules.js";
import { NotificationStore } from "../../src/storage/notifications.js";
import { verifyLedger } from "../../src/storage/verify-ledger.js";
import type { Database } from "../../src/storage/schema.js";
import { createTestDatabase, type TestDatabase } from "../support/dialects.js";

/** Runs `fn` on a fresh SQLite database, dropped afterwards. */
async function onSqlite(fn: (database: TestDatabase) => Promise<void>): Promise<void> {
  const database = await createTestDatabase("sqlite");
  try {
    await fn(database);
  } finally {
    await database.drop();
  }
}

/** SQLite's plan for a compiled statement: one row per step, `parent` linking the tree. */
async function planOf(db: Kysely<Database>, query: CompiledQuery) {
  const plan = await db.executeQuery<{ id: number; parent: number; detail: string }>(
    CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
  );
  return plan.rows;
}

/** The plan's steps as one text, for matching. */
async function planText(db: Kysely<Database>, query: CompiledQuery): Promise<string> {
  return (await planOf(db, query)).map((r) => r.detail).join("\n");
}

/** A plugin that records every statement run through it, compiled, for `planOf`. */
function capturing(db: Kysely<Database>): { capture: KyselyPlugin; ran: CompiledQuery[] } {
  const ran: CompiledQuery[] = [];
  const capture: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      ran.push(db.getExecutor().compileQuery(node, queryId));
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };
  return { capture, ran };
}

/** A notification store whose statements are recorded as compiled (see `capturing`). */
function capturingStore(database: TestDatabase) {
  const { capture, ran } = capturing(database.handle.db);
  const store = new NotificationStore(
    { ...database.handle, db: database.handle.db.withPlugin(capture) },
    new UlidGenerator(),
  );
  return { store, ran };
}

describe("indexes", () => {
  it("R22: claiming due deliveries walks the due index in (next_attempt_at, id) order, with no sort", () =>
    onSqlite(async (database) => {
      const db = database.handle.db;
      const details = await planText(
        db,
        sql`select "id" from "deliveries"
          where "status" = ${"pending"} and "next_attempt_at" <= ${0}
            and ("lease_until" is null or "lease_until" <= ${0})
          order by "next_attempt_at", "id" limit ${50}`.compile(db),
      );
      expect(details).toMatch(/USING INDEX deliveries_due/);
      expect(details).not.toMatch(/TEMP B-TREE/);
    }));

  it("R14, R18: the sweep reads due auto-approvals in (due time, id) order from their indexes, with no sort", () =>
    onSqlite(async (database) => {
      const plan = await planOf(
        database.handle.db,
        dueRulesQuery(database.handle.db, Date.now(), 200).compile(),
      );
      // The plan is a tree with one branch per kind of rule; reminders are the branches that
      // look up reminders already sent. The other two are the auto-approvals.
      const below = (id: number): string[] =>
        plan.filter((r) => r.parent === id).flatMap((r) => [r.detail, ...below(r.id)]);
      const approvals = plan
        .filter((r) => /SEARCH m USING INDEX (milestones_due|refund_requests_due)/.test(r.detail))
        .map((r) => below(r.parent))
        .filter((branch) => !branch.some((detail) => detail.includes("reminders_sent")));
      expect(approvals.map((branch) => branch[0]!.replace(/ \(.*/, ""))).toEqual([
        "SEARCH m USING INDEX milestones_due",
        "SEARCH m USING INDEX refund_requests_due",
      ]);
      for (const branch of approvals) expect(branch.join("\n")).not.toMatch(/TEMP B-TREE/);
    }));

  it("R19: the dispute team is found from the staff-only index, whatever the number of users", () =>
    onSqlite(async (database) => {
      const db = database.handle.db;
      const details = await planText(
        db,
        sql`select "id" from "users" where "is_staff" = 1 order by "id"`.compile(db),
      );
      expect(details).toMatch(/USING COVERING INDEX users_staff/);
      expect(details).not.toMatch(/TEMP B-TREE/);
    }));

  it("R1: ended throttling counts are found by their window's start, with no scan of the table", () =>
    onSqlite(async (database) => {
      const db = database.handle.db;
      const details = await planText(
        db,
        sql`delete from "rate_limits" where "window_start" <= ${0}`.compile(db),
      );
      expect(details).toMatch(/SEARCH rate_limits USING (COVERING )?INDEX rate_limits_window/);
    }));

  it("R22: finished deliveries are purged along the primary key, with no scan of the table", () =>
    onSqlite(async (database) => {
      const db = database.handle.db;
      const { store, ran } = capturingStore(database);
      await store.purgeFinished(Date.now());
      const details = await planText(db, ran[0]!);
      expect(details).toMatch(
        /SEARCH deliveries USING INDEX sqlite_autoindex_deliveries_1 \(id<\?\)/,
      );
      expect(details).not.toMatch(/SCAN deliveries/);
    }));

  it("R22: an endpoint's delivery log reads the webhook-only index in id order, with no sort", () =>
    onSqlite(async (database) => {
      // The statement the store runs, captured as compiled, then planned by SQLite.
      const db = database.handle.db;
      const { store, ran } = capturingStore(database);
      await store.deliveries("whk_1", { limit: 50 });
      expect(ran).toHaveLength(1);
      const details = await planText(db, ran[0]!);
      expect(details).toMatch(/USING INDEX deliveries_recipient/);
      expect(details).not.toMatch(/TEMP B-TREE/);
      // Email deliveries are not in it.
      const [index] = (
        await sql<{
          sql: string;
        }>`select sql from sqlite_master where name = 'deliveries_recipient'`.execute(db)
      ).rows;
      expect(index!.sql).toMatch(/where channel = 'webhook'/i);
    }));

  it("R4: the ledger check reads escrow postings from their own index in (account, entry) order, with no sort", () =>
    onSqlite(async (database) => {
      const db = database.handle.db;
      const { capture, ran } = capturing(db);
      expect(await verifyLedger(db.withPlugin(capture))).toEqual([]);
      // The two statements that read escrow accounts: the per-contract sums and the running sum.
      const escrow = ran.filter((q) => q.sql.includes("'escrow:'"));
      expect(escrow).toHaveLength(2);
      for (const statement of escrow) {
        const details = await planText(db, statement);
        expect(details).toMatch(/USING INDEX postings_escrow/);
        // (The running sum's DISTINCT sees only the rows that break the rule.)
        expect(details).not.toMatch(/TEMP B-TREE FOR (ORDER|GROUP) BY/);
      }
      // Only escrow postings are in it; the index on every posting's account is gone.
      const indexes = (
        await sql<{
          name: string;
          sql: string;
        }>`select name, sql from sqlite_master where type = 'index' and tbl_name = 'postings'`.execute(
          db,
        )
      ).rows;
      expect(indexes.map((i) => i.name)).not.toContain("postings_account");
      expect(indexes.find((i) => i.name === "postings_escrow")!.sql).toMatch(
        /where substr\(account, 1, 7\) = 'escrow:'/i,
      );
    }));
});
