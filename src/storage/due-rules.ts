/**
 * Where the sweep finds due rules: submitted milestones past their auto-approval time whose
 * escrow is not frozen by a refund request, and pending refund requests past their response time.
 */
import { sql, type Kysely } from "kysely";
import type { DueRule, DueRuleSource } from "../app/run-due-rules.js";
import type { Database } from "./schema.js";

export class SqlDueRules implements DueRuleSource {
  constructor(private readonly db: Kysely<Database>) {}

  async findDue(now: number, limit: number, exclude: ReadonlySet<string>): Promise<DueRule[]> {
    const excluded = exclude.size > 0 ? [...exclude] : ["-"];
    const milestones = this.db
      .selectFrom("milestones as m")
      .select([
        sql<string>`'milestone_auto_approval'`.as("kind"),
        "m.id as id",
        "m.auto_approve_at as due_at",
      ])
      .where("m.status", "=", "submitted")
      .where("m.auto_approve_at", "<=", now)
      .where("m.id", "not in", excluded)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("refund_requests as r")
              .select("r.id")
              .whereRef("r.contract_id", "=", "m.contract_id")
              .where("r.status", "in", ["pending", "disputed"]),
          ),
        ),
      );
    const refunds = this.db
      .selectFrom("refund_requests")
      .select([sql<string>`'refund_auto_approval'`.as("kind"), "id", "respond_by as due_at"])
      .where("status", "=", "pending")
      .where("respond_by", "<=", now)
      .where("id", "not in", excluded);
    const rows = await milestones
      .unionAll(refunds)
      .orderBy("due_at")
      .orderBy("id")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      kind: r.kind as DueRule["kind"],
      id: r.id,
      dueAt: Number(r.due_at),
    }));
  }
}
