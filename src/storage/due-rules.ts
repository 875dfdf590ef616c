/**
 * Where the sweep finds due rules, oldest first:
 * - submitted milestones past their auto-approval time whose escrow no refund request freezes;
 * - pending refund requests past their response time;
 * - reminders 3 days and 1 day before each of those, not yet sent. After downtime only the
 *   latest reminder still ahead of its deadline is sent, and none once the deadline has passed.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { ruleKeyOf, type DueRule, type DueRuleSource } from "../app/run-due-rules.js";
import { REMINDER_DAYS_BEFORE } from "../domain/reminders.js";
import { DAY_MS } from "../domain/types.js";
import type { Database } from "./schema.js";

type Db = Kysely<Database>;

function milestoneRows(db: Db, now: number) {
  return db
    .selectFrom("milestones as m")
    .where("m.status", "=", "submitted")
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
    )
    .where("m.auto_approve_at", "is not", null)
    .where("m.auto_approve_at", "<=", now + REMINDER_DAYS_BEFORE[0] * DAY_MS);
}

function refundRows(db: Db, now: number) {
  return db
    .selectFrom("refund_requests as m")
    .where("m.status", "=", "pending")
    .where("m.respond_by", "<=", now + REMINDER_DAYS_BEFORE[0] * DAY_MS);
}

/**
 * The columns every branch returns: the rule's kind, its subject and contract, when it is due
 * (its deadline, or `days` before it for a reminder) and the deadline itself.
 */
function ruleColumns(kind: DueRule["kind"], deadline: RawBuilder<number>, days: number) {
  return [
    sql<string>`${sql.lit(kind)}`.as("kind"),
    sql.ref<string>("m.id").as("id"),
    sql.ref<string>("m.contract_id").as("contract_id"),
    (days === 0 ? deadline : sql<number>`${deadline} - ${days * DAY_MS}`).as("due_at"),
    deadline.as("deadline"),
    sql<number>`${sql.lit(days)}`.as("days_before"),
  ];
}

const AUTO_APPROVE_AT = sql<number>`m.auto_approve_at`;
const RESPOND_BY = sql<number>`m.respond_by`;

/** Every kind of due rule in one statement, oldest first (`due_at`, then `id`). */
export function dueRulesQuery(db: Db, now: number, limit: number) {
  const approvals = milestoneRows(db, now)
    .select(ruleColumns("milestone_auto_approval", AUTO_APPROVE_AT, 0))
    .where("m.auto_approve_at", "<=", now);
  const refunds = refundRows(db, now)
    .select(ruleColumns("refund_auto_approval", RESPOND_BY, 0))
    .where("m.respond_by", "<=", now);
  let query = approvals.unionAll(refunds);
  REMINDER_DAYS_BEFORE.forEach((days, index) => {
    const next = REMINDER_DAYS_BEFORE[index + 1];
    const offset = days * DAY_MS;
    for (const kind of ["milestone", "refund_request"] as const) {
      const deadline = kind === "milestone" ? AUTO_APPROVE_AT : RESPOND_BY;
      const start = kind === "milestone" ? sql<number>`m.submitted_at` : sql<number>`m.created_at`;
      const base = kind === "milestone" ? milestoneRows(db, now) : refundRows(db, now);
      const reminders = base
        .select(
          ruleColumns(
            kind === "milestone" ? "milestone_reminder" : "refund_reminder",
            deadline,
            days,
          ),
        )
        .where(sql<boolean>`${deadline} - ${offset} <= ${now}`)
        .where(sql<boolean>`${deadline} > ${now}`)
        // Only offsets shorter than the window: a reminder is never due before the clock started.
        .where(sql<boolean>`${start} < ${deadline} - ${offset}`)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom("reminders_sent as s")
                .select("s.subject_id")
                .whereRef("s.subject_id", "=", "m.id")
                .where(sql<boolean>`s.deadline = ${deadline}`)
                .where("s.days_before", "=", days),
            ),
          ),
        );
      query = query.unionAll(
        next === undefined
          ? reminders
          : reminders.where(sql<boolean>`${deadline} - ${next * DAY_MS} > ${now}`),
      );
    }
  });
  return query.orderBy("due_at").orderBy("id").limit(limit);
}

export class SqlDueRules implements DueRuleSource {
  constructor(private readonly db: Db) {}

  async findDue(now: number, limit: number, exclude: ReadonlySet<string>): Promise<DueRule[]> {
    const rows = await dueRulesQuery(this.db, now, limit + exclude.size).execute();
    return rows
      .map((r) => ({
        kind: r.kind as DueRule["kind"],
        id: r.id,
        contractId: r.contract_id,
        dueAt: Number(r.due_at),
        deadline: Number(r.deadline),
        daysBefore: Number(r.days_before),
      }))
      .filter((rule) => !exclude.has(ruleKeyOf(rule)))
      .slice(0, limit);
  }
}
