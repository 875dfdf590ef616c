/**
 * Lists with the paging convention (API.md): `limit` 1-100 (default 20), `startingAfter=<id>`,
 * answered as `{data, hasMore}`; newest first except the events (oldest first). Ids sort by
 * creation, so keyset paging on the id is exact, ties included.
 */
import type { Kysely } from "kysely";
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
    if (paging.startingAfter !== undefined) {
      const cursor = await query
        .where("id", "=", paging.startingAfter)
        .select("id")
        .executeTakeFirst();
      if (!cursor) throw new UnknownCursorError();
      query = query.where("id", "<", paging.startingAfter);
    }
    const rows = await query
      .orderBy("id", "desc")
      .limit(paging.limit + 1)
      .execute();
    const views = await this.readModel.contracts(rows.map(contractFromRow), now);
    return page(views, paging.limit);
  }

  async events(contractId: string, paging: PageRequest) {
    let query = this.db.selectFrom("events").selectAll().where("contract_id", "=", contractId);
    if (paging.startingAfter !== undefined) {
      const cursor = await query.where("id", "=", paging.startingAfter).executeTakeFirst();
      if (!cursor) throw new UnknownCursorError();
      query = query.where("id", ">", paging.startingAfter);
    }
    const rows = await query
      .orderBy("id", "asc")
      .limit(paging.limit + 1)
      .execute();
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
    let query = this.db
      .selectFrom("refund_requests")
      .selectAll()
      .where("contract_id", "=", contractId);
    if (paging.startingAfter !== undefined) {
      const cursor = await query.where("id", "=", paging.startingAfter).executeTakeFirst();
      if (!cursor) throw new UnknownCursorError();
      query = query.where("id", "<", paging.startingAfter);
    }
    const rows = await query
      .orderBy("id", "desc")
      .limit(paging.limit + 1)
      .execute();
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
    if (paging.startingAfter !== undefined) {
      const cursor = await query.where("d.id", "=", paging.startingAfter).executeTakeFirst();
      if (!cursor) throw new UnknownCursorError();
      query = query.where("d.id", "<", paging.startingAfter);
    }
    const rows = await query
      .orderBy("d.id", "desc")
      .limit(paging.limit + 1)
      .execute();
    const views = await Promise.all(rows.map((r) => this.readModel.dispute(r.id)));
    return page(views, paging.limit);
  }

  async paymentMethods(userId: string, paging: PageRequest) {
    let query = this.db.selectFrom("payment_methods").selectAll().where("user_id", "=", userId);
    const newest = await query.select("id").orderBy("id", "desc").executeTakeFirst();
    if (paging.startingAfter !== undefined) {
      const cursor = await query.where("id", "=", paging.startingAfter).executeTakeFirst();
      if (!cursor) throw new UnknownCursorError();
      query = query.where("id", "<", paging.startingAfter);
    }
    const rows = await query
      .orderBy("id", "desc")
      .limit(paging.limit + 1)
      .execute();
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
