/**
 * The read model: API-shaped views of contracts, milestones, refunds, disputes, events and the
 * transactions report, read straight from the tables.
 */
import type { Kysely } from "kysely";
import { isOverdue, unallocatedEscrow, type ContractAggregate } from "../domain/aggregate.js";
import type { Contract, Instant, Milestone, RefundRequest } from "../domain/types.js";
import {
  contractFromRow,
  disputeFromRow,
  dueDateChangeFromRow,
  milestoneFromRow,
  refundRequestFromRow,
  submissionFromRow,
} from "./rows.js";
import { dialectOf, query } from "./fast-sql.js";
import type { Database } from "./schema.js";

type Db = Kysely<Database>;

export function iso(at: Instant): string;
export function iso(at: Instant | null): string | null;
export function iso(at: Instant | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}

export interface Page<T> {
  readonly data: T[];
  readonly hasMore: boolean;
}

export function page<T>(rows: T[], limit: number): Page<T> {
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

function milestoneView(
  m: Milestone,
  submissions: ReturnType<typeof submissionFromRow>[],
  now: Instant,
  frozen: boolean,
) {
  return {
    id: m.id,
    contractId: m.contractId,
    position: m.position,
    title: m.title,
    description: m.description,
    amount: m.amount,
    dueDate: m.dueDate,
    overdue: isOverdue(m, now),
    status: m.status,
    fundedAmount: m.fundedAmount,
    releasedAmount: m.releasedAmount,
    submittedAt: iso(m.submittedAt),
    autoApproveAt: iso(m.autoApproveAt),
    /** True while an open refund request holds the automatic approval (R17). */
    autoApprovalPaused: m.autoApproveAt !== null && frozen,
    createdAt: iso(m.createdAt),
    submissions: submissions.map((s) => ({
      id: s.id,
      message: s.message,
      links: s.links,
      createdAt: iso(s.createdAt),
      review:
        s.reviewOutcome === null
          ? null
          : { outcome: s.reviewOutcome, message: s.reviewMessage, createdAt: iso(s.reviewedAt) },
    })),
  };
}

export type MilestoneView = ReturnType<typeof milestoneView>;

/** What will happen on its own next, and when, so nobody is surprised by money moving. */
function nextAutomaticAction(milestones: readonly Milestone[], open: RefundRequest | null) {
  if (open?.status === "pending") {
    return { type: "refund_auto_approval", at: iso(open.respondBy), refundRequestId: open.id };
  }
  if (open) return null;
  const due = milestones
    .filter((m) => m.status === "submitted" && m.autoApproveAt !== null)
    .sort((a, b) => a.autoApproveAt! - b.autoApproveAt!)[0];
  return due
    ? { type: "milestone_auto_approval", at: iso(due.autoApproveAt!), milestoneId: due.id }
    : null;
}

export class ReadModel {
  constructor(private readonly db: Db) {}

  private async people(ids: string[]) {
    const rows = ids.length
      ? await this.db
          .selectFrom("users")
          .select(["id", "name", "email"])
          .where("id", "in", ids)
          .execute()
      : [];
    return new Map(rows.map((r) => [r.id, { id: r.id, name: r.name, email: r.email }]));
  }

  private async submissionsOf(milestoneIds: string[]) {
    const rows = milestoneIds.length
      ? await this.db
          .selectFrom("submissions")
          .selectAll()
          .where("milestone_id", "in", milestoneIds)
          .orderBy("id")
          .execute()
      : [];
    const byMilestone = new Map<string, ReturnType<typeof submissionFromRow>[]>();
    for (const row of rows) {
      const list = byMilestone.get(row.milestone_id) ?? [];
      list.push(submissionFromRow(row));
      byMilestone.set(row.milestone_id, list);
    }
    return byMilestone;
  }

  async contracts(rows: Contract[], now: Instant) {
    const ids = rows.map((c) => c.id);
    if (ids.length === 0) return [];
    const [milestoneRows, openRows, people] = await Promise.all([
      this.db
        .selectFrom("milestones")
        .selectAll()
        .where("contract_id", "in", ids)
        .orderBy("position")
        .execute(),
      this.db
        .selectFrom("refund_requests")
        .selectAll()
        .where("contract_id", "in", ids)
        .where("status", "in", ["pending", "disputed"])
        .execute(),
      this.people([...new Set(rows.flatMap((c) => [c.clientId, c.freelancerId]))]),
    ]);
    const milestones = milestoneRows.map(milestoneFromRow);
    const submissions = await this.submissionsOf(milestones.map((m) => m.id));
    return rows.map((contract) => {
      const own = milestones.filter((m) => m.contractId === contract.id);
      const openRow = openRows.find((r) => r.contract_id === contract.id);
      const open = openRow ? refundRequestFromRow(openRow) : null;
      const agg: ContractAggregate = { contract, milestones: own, openRefundRequest: open };
      return {
        id: contract.id,
        title: contract.title,
        description: contract.description,
        currency: contract.currency,
        status: contract.status,
        client: people.get(contract.clientId)!,
        freelancer: people.get(contract.freelancerId)!,
        escrowBalance: contract.escrowBalance,
        unallocatedEscrow: unallocatedEscrow(agg),
        totalAmount: own.filter((m) => m.status !== "cancelled").reduce((t, m) => t + m.amount, 0),
        reviewWindowDays: contract.reviewWindowDays,
        refundWindowDays: contract.refundWindowDays,
        endedBy: contract.endedBy,
        openRefundRequestId: open?.id ?? null,
        nextAutomaticAction: nextAutomaticAction(own, open),
        milestones: own.map((m) =>
          milestoneView(m, submissions.get(m.id) ?? [], now, open !== null),
        ),
        createdAt: iso(contract.createdAt),
        acceptedAt: iso(contract.acceptedAt),
        endedAt: iso(contract.endedAt),
      };
    });
  }

  async contract(id: string, now: Instant) {
    const row = await this.db
      .selectFrom("contracts")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return undefined;
    const [view] = await this.contracts([contractFromRow(row)], now);
    return view;
  }

  /**
   * The answer of every milestone command, compiled once (fast-sql.ts): on PostgreSQL one
   * statement (the submissions as a JSON array: one round trip), on SQLite two.
   */
  async milestone(id: string, now: Instant): Promise<MilestoneView | undefined> {
    const found = await this.milestoneRows(id);
    if (!found) return undefined;
    return milestoneView(
      milestoneFromRow(found.row),
      found.submissions.map(submissionFromRow),
      now,
      found.openRefund,
    );
  }

  private async milestoneRows(id: string) {
    const openRefund = `exists (select 1 from "refund_requests" r where r."contract_id" = m."contract_id" and r."status" in (?, ?)) as "open_refund"`;
    if (dialectOf(this.db) === "postgres") {
      const found = await query<
        Database["milestones"] & { open_refund: boolean; submissions: Database["submissions"][] }
      >(
        this.db,
        `select m.*, ${openRefund},
           (select coalesce(json_agg(s order by s."id"), '[]'::json) from "submissions" s where s."milestone_id" = m."id") as "submissions"
         from "milestones" m where m."id" = ?`,
        ["pending", "disputed", id],
      );
      const row = found.rows[0];
      return row && { row, submissions: row.submissions, openRefund: row.open_refund };
    }
    const [found, submissions] = await Promise.all([
      query<Database["milestones"] & { open_refund: number }>(
        this.db,
        `select m.*, ${openRefund} from "milestones" m where m."id" = ?`,
        ["pending", "disputed", id],
      ),
      query<Database["submissions"]>(
        this.db,
        `select * from "submissions" where "milestone_id" = ? order by "id"`,
        [id],
      ),
    ]);
    const row = found.rows[0];
    // SQLite answers 0 or 1.
    return row && { row, submissions: submissions.rows, openRefund: row.open_refund === 1 };
  }

  refundRequestView(r: RefundRequest) {
    return {
      id: r.id,
      contractId: r.contractId,
      amount: r.amount,
      reason: r.reason,
      status: r.status,
      respondBy: iso(r.respondBy),
      disputeId: r.disputeId,
      createdAt: iso(r.createdAt),
      answeredAt: iso(r.answeredAt),
    };
  }

  async refundRequest(id: string) {
    const row = await this.db
      .selectFrom("refund_requests")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && this.refundRequestView(refundRequestFromRow(row));
  }

  async dispute(id: string) {
    const row = await this.db
      .selectFrom("disputes")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return undefined;
    const d = disputeFromRow(row);
    return {
      id: d.id,
      refundRequestId: d.refundRequestId,
      contractId: d.contractId,
      amount: d.amount,
      reason: d.reason,
      status: d.status,
      resolution:
        d.status === "resolved"
          ? {
              refundAmount: d.refundAmount,
              releaseAmount: d.releaseAmount,
              reason: d.resolutionReason,
              resolvedBy: d.resolvedBy,
              resolvedAt: iso(d.resolvedAt),
            }
          : null,
      createdAt: iso(d.createdAt),
    };
  }

  async dueDateChange(id: string) {
    const row = await this.db
      .selectFrom("due_date_changes")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return undefined;
    const d = dueDateChangeFromRow(row);
    return {
      id: d.id,
      milestoneId: d.milestoneId,
      contractId: d.contractId,
      dueDate: d.dueDate,
      proposedBy: d.proposedBy,
      status: d.status,
      createdAt: iso(d.createdAt),
      answeredAt: iso(d.answeredAt),
    };
  }
}
