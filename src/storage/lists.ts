/**
 * Lists with the paging convention (API.md): `limit` 1-100 (default 20), `startingAfter=<id>`,
 * answered as `{data, hasMore}`; newest first except the events (oldest first). Ids sort by
 * creation, so keyset paging on the id is exact, ties included.
 */
import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import type { Caller } from "../domain/aggregate.js";
import type { Instant } from "../domain/types.js";
import { contractFromRow, refundRequestFromRow } from "./rows.js";
import { iso, page, type Page, type ReadModel } from "./read-model.js";
import type { Database } from "./schema.js";

export interface PageRequest {
  readonly limit: number;
  readonly startingAfter?: string | undefined;
}

/** Thrown when `startingAfter` names no item of the list; the HTTP layer answers 400. */
export class UnknownCursorError extends Error {}

/**
 * One page of `query` by keyset on `idColumn`, plus one row to tell whether more follow. The
 * cursor must be an item of the same (filtered) list, else UnknownCursorError.
 */
export async function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  idColumn: string,
  paging: PageRequest,
  direction: "asc" | "desc" = "desc",
): Promise<O[]> {
  const id = sql.ref(idColumn);
  const after = paging.startingAfter;
  if (after !== undefined) {
    const cursor = await query.where(sql<boolean>`${id} = ${after}`).executeTakeFirst();
    if (!cursor) throw new UnknownCursorError();
    query = query.where(
      direction === "desc" ? sql<boolean>`${id} < ${after}` : sql<boolean>`${id} > ${after}`,
    );
  }
  return query
    .orderBy(id, direction)
    .limit(paging.limit + 1)
    .execute();
}

export class Lists {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readModel: ReadModel,
  ) {}

  async contracts(
    caller: Caller,
    filter: { role?: "client" | "freelancer" | undefined; status?: string | undefined },
    paging: PageRequest,
    now: Instant,
  ) {
    let query = this.db.selectFrom("contracts").selectAll();
    if (filter.role === "client") query = query.where("client_id", "=", caller.userId);
    else if (filter.role === "freelancer") query = query.where("freelancer_id", "=", caller.userId);
    else if (!caller.isStaff) {
      query = query.where((eb) =>
        eb.or([eb("client_id", "=", caller.userId), eb("freelancer_id", "=", caller.userId)]),
      );
    }
    if (filter.status) query = query.where("status", "=", filter.status);
    const rows = await keysetPage(query, "id", paging);
    const views = await this.readModel.contracts(rows.map(contractFromRow), now);
    return page(views, paging.limit);
  }

  async events(contractId: string, paging: PageRequest) {
    const query = this.db.selectFrom("events").selectAll().where("contract_id", "=", contractId);
    const rows = await keysetPage(query, "id", paging, "asc");
    return page(
      rows.map((e) => ({
        id: e.id,
        contractId: e.contract_id,
        type: e.type,
        actor:
          e.actor_user_id === null
            ? { kind: e.actor_kind }
            : { kind: e.actor_kind, userId: e.actor_user_id },
        createdAt: iso(e.created_at),
        data: JSON.parse(e.data) as unknown,
      })),
      paging.limit,
    );
  }

  async refundRequests(contractId: string, paging: PageRequest) {
    const query = this.db
      .selectFrom("refund_requests")
      .selectAll()
      .where("contract_id", "=", contractId);
    const rows = await keysetPage(query, "id", paging);
    return page(
      rows.map((r) => this.readModel.refundRequestView(refundRequestFromRow(r))),
      paging.limit,
    );
  }

  async disputes(
    caller: Caller,
    status: string | undefined,
    paging: PageRequest,
  ): Promise<Page<unknown>> {
    let query = this.db
      .selectFrom("disputes as d")
      .innerJoin("contracts as c", "c.id", "d.contract_id")
      .select("d.id");
    if (!caller.isStaff) {
      query = query.where((eb) =>
        eb.or([eb("c.client_id", "=", caller.userId), eb("c.freelancer_id", "=", caller.userId)]),
      );
    }
    if (status) query = query.where("d.status", "=", status);
    const rows = await keysetPage(query, "d.id", paging);
    const views = await Promise.all(rows.map((r) => this.readModel.dispute(r.id)));
    return page(views, paging.limit);
  }

  async paymentMethods(userId: string, paging: PageRequest) {
    const query = this.db.selectFrom("payment_methods").selectAll().where("user_id", "=", userId);
    const newest = await query.select("id").orderBy("id", "desc").executeTakeFirst();
    const rows = await keysetPage(query, "id", paging);
    return page(
      rows.map((p) => ({
        id: p.id,
        brand: p.brand,
        last4: p.last4,
        isDefault: p.id === newest?.id,
        createdAt: iso(p.created_at),
      })),
      paging.limit,
    );
  }
}
