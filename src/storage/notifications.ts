/**
 * Storage of notifications (docs/NOTIFICATIONS.md): the outbox fan-out, the delivery queue with
 * leases, in-app notifications and webhook endpoints. Work is claimed with row locks
 * (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the single write lock of BEGIN IMMEDIATE), so
 * several servers share it without doing anything twice; nothing that matters lives in memory.
 */
import { randomBytes } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import type { IdGenerator } from "../app/ports.js";
import { firstIdAt } from "../infra/ids.js";
import { STAFF_EVENTS } from "../domain/events.js";
import type { DatabaseHandle } from "./database.js";
import type { SqliteGroupCommit } from "./group-commit.js";
import { insertRows, marks, query, runLike } from "./fast-sql.js";
import { keysetPage, UnknownCursorError, type PageRequest } from "./lists.js";
import type { DeliveriesTable, NotifyTables } from "./notify-schema.js";
import { iso } from "./read-model.js";
import type { Database } from "./schema.js";
import { withPgRetries } from "./sql-store.js";

type Db = Kysely<Database & NotifyTables>;

/** One event with what its fan-out needs to know. */
export interface FanOutInput {
  readonly event: {
    readonly id: string;
    readonly type: string;
    readonly contractId: string;
    readonly actorKind: string;
    readonly actorUserId: string | null;
    readonly createdAt: number;
    readonly data: Record<string, unknown>;
  };
  readonly contract: {
    readonly id: string;
    readonly title: string;
    readonly currency: string;
    readonly clientId: string;
    readonly freelancerId: string;
  };
  readonly milestone: { readonly title: string; readonly fundedAmount: number } | null;
  readonly users: ReadonlyMap<string, { readonly name: string; readonly email: string }>;
  /** Staff users (their names and emails are in `users`), for the events staff hear of. */
  readonly staff: readonly string[];
  /** Live endpoints of the parties and of staff. */
  readonly endpoints: readonly { id: string; userId: string; events: string[] | null }[];
  /** The event came with the offer that caused it (the first milestone funded with the offer). */
  readonly partOfOffer: boolean;
}

export interface FanOut {
  readonly notifications: readonly { userId: string; message: string }[];
  readonly emails: readonly { userId: string; payload: string }[];
  readonly webhooks: readonly { endpointId: string; payload: string }[];
}

export interface ClaimedDelivery {
  readonly id: string;
  readonly channel: "email" | "webhook";
  readonly eventId: string;
  readonly payload: string;
  readonly attempts: number;
  readonly createdAt: number;
  readonly leaseToken: string;
  /** For a webhook call: where to and the signing secret; null when the endpoint is gone. */
  readonly endpoint: { readonly url: string; readonly secret: string } | null;
}

export type DeliveryOutcome =
  | { readonly kind: "delivered"; readonly statusCode: number | null }
  | {
      readonly kind: "retry";
      readonly nextAttemptAt: number;
      readonly statusCode: number | null;
      readonly error: string;
    }
  | { readonly kind: "failed"; readonly statusCode: number | null; readonly error: string }
  | { readonly kind: "cancelled"; readonly error: string }
  /** Shutting down mid-call: the next pass (any server) tries again at once. */
  | { readonly kind: "released" };

export interface Page<T> {
  readonly data: T[];
  readonly hasMore: boolean;
}

export interface NotificationView {
  id: string;
  type: string;
  contractId: string;
  message: string;
  createdAt: string;
  readAt: string | null;
}

export interface EndpointView {
  id: string;
  url: string;
  events: string[] | null;
  createdAt: string;
}

function notificationView(row: NotifyTables["notifications"]): NotificationView {
  return {
    id: row.id,
    type: row.type,
    contractId: row.contract_id,
    message: row.message,
    createdAt: iso(row.created_at),
    readAt: iso(row.read_at),
  };
}

function endpointView(row: NotifyTables["webhook_endpoints"]): EndpointView {
  return {
    id: row.id,
    url: row.url,
    events: row.events === null ? null : (JSON.parse(row.events) as string[]),
    createdAt: iso(row.created_at),
  };
}

function deliveryView(row: DeliveriesTable) {
  return {
    id: row.id,
    eventId: row.event_id,
    type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    lastAttemptAt: iso(row.last_attempt_at),
    nextAttemptAt: row.status === "pending" ? iso(row.next_attempt_at) : null,
    deliveredAt: iso(row.delivered_at),
    createdAt: iso(row.created_at),
  };
}

/** Rows per multi-row insert: well under both databases' limits on bound parameters. */
const INSERT_CHUNK = 200;
/**
 * Deliveries deleted per statement by `purgeFinished`: each statement (and on SQLite the write
 * lock it holds) stays short, so commands wait behind it for a few milliseconds at most.
 */
const PURGE_CHUNK = 500;

export class NotificationStore {
  private readonly db: Db;
  /** Delivery outcomes waiting to be written together (see `finish`). */
  private finishing: {
    delivery: ClaimedDelivery;
    outcome: DeliveryOutcome;
    now: number;
    resolve: () => void;
    reject: (error: unknown) => void;
  }[] = [];

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly ids: IdGenerator,
    /** SQLite: the store's group commit, which notification writes join. */
    private readonly groupCommit: SqliteGroupCommit | null = null,
  ) {
    this.db = handle.db.withTables<NotifyTables>();
  }

  /**
   * Outbox events per fan-out transaction. On SQLite a fan-out shares the one writer with
   * requests, so it stays small; on PostgreSQL it has its own connection, so it takes more and
   * pays fewer round trips per event.
   */
  get fanOutBatch(): number {
    return this.groupCommit ? 16 : 50;
  }

  /**
   * One short write transaction, retried on PostgreSQL conflicts. On SQLite it joins the group
   * commit as background work, after the timed rules, so notification work never holds up a
   * request someone waits on, nor a deadline that moves money.
   */
  private async transaction<T>(fn: (db: Transaction<Database & NotifyTables>) => Promise<T>) {
    if (this.groupCommit) {
      return this.groupCommit.run(
        (conn) => {
          const tables = conn.withTables<NotifyTables>() as Transaction<Database & NotifyTables>;
          // A new instance: its statements go straight to the writer too, as `conn`'s do.
          runLike(conn, tables);
          return fn(tables);
        },
        { background: "notifications" },
      );
    }
    return withPgRetries(() => this.db.transaction().execute(fn));
  }

  async hasOutbox(): Promise<boolean> {
    const { rows } = await query(this.db, `select "event_id" from "outbox" limit 1`, []);
    return rows.length > 0;
  }

  /**
   * Fans out up to `limit` outbox events: writes their notifications and deliveries and deletes
   * their outbox rows, in one transaction. Returns how many events it took.
   */
  async fanOut(limit: number, now: number, plan: (input: FanOutInput) => FanOut): Promise<number> {
    return this.transaction(async (db) => {
      // Statements as text (fast-sql): Kysely would build and compile each one per fan-out.
      const lock = this.handle.dialect === "postgres" ? " for update skip locked" : "";
      const claimed = (
        await query<{ event_id: string }>(
          db,
          `select "event_id" from "outbox" order by "event_id" limit ?${lock}`,
          [limit],
        )
      ).rows.map((r) => r.event_id);
      if (claimed.length === 0) return 0;
      const { rows: events } = await query<Database["events"]>(
        db,
        `select * from "events" where "id" in (${marks(claimed.length)}) order by "id"`,
        claimed,
      );
      const contractIds = [...new Set(events.map((e) => e.contract_id))];
      const contracts = new Map(
        contractIds.length === 0
          ? []
          : (
              await query<Database["contracts"]>(
                db,
                `select * from "contracts" where "id" in (${marks(contractIds.length)})`,
                contractIds,
              )
            ).rows.map((c) => [c.id, c]),
      );
      const datas = new Map(
        events.map((e) => [e.id, JSON.parse(e.data) as Record<string, unknown>]),
      );
      const milestoneIds = [...datas.values()]
        .map((d) => d.milestoneId)
        .filter((id): id is string => typeof id === "string");
      const milestones = new Map(
        milestoneIds.length === 0
          ? []
          : (
              await query<
                Pick<Database["milestones"], "id" | "title" | "funded_amount" | "position">
              >(
                db,
                `select "id", "title", "funded_amount", "position" from "milestones" where "id" in (${marks(milestoneIds.length)})`,
                milestoneIds,
              )
            ).rows.map((m) => [
              m.id,
              { title: m.title, fundedAmount: m.funded_amount, position: m.position },
            ]),
      );
      const userIds = new Set<string>();
      for (const c of contracts.values()) userIds.add(c.client_id).add(c.freelancer_id);
      for (const e of events) if (e.actor_user_id) userIds.add(e.actor_user_id);
      // The dispute team, only when an event in this batch is one staff hear of (rare).
      const staff = events.some((e) => STAFF_EVENTS.has(e.type))
        ? (
            await query<{ id: string }>(
              db,
              `select "id" from "users" where "is_staff" = 1 order by "id"`,
              [],
            )
          ).rows.map((u) => u.id)
        : [];
      for (const id of staff) userIds.add(id);
      const people = [...userIds];
      // Every event has a contract, so there are always parties; an empty in-list is not SQL.
      const partyIn = people.length > 0 ? `"w"."user_id" in (${marks(people.length)}) or ` : "";
      const users = new Map(
        people.length === 0
          ? []
          : (
              await query<{ id: string; name: string; email: string }>(
                db,
                `select "id", "name", "email" from "users" where "id" in (${marks(people.length)})`,
                people,
              )
            ).rows.map((u) => [u.id, { name: u.name, email: u.email }]),
      );
      const { rows: endpointRows } = await query<{
        id: string;
        user_id: string;
        events: string | null;
        is_staff: number;
      }>(
        db,
        `select "w"."id", "w"."user_id", "w"."events", "u"."is_staff" from "webhook_endpoints" as "w"
         inner join "users" as "u" on "u"."id" = "w"."user_id"
         where "w"."deleted_at" is null and (${partyIn}"u"."is_staff" = 1)
         order by "w"."id"`,
        people,
      );
      const notificationRows: NotifyTables["notifications"][] = [];
      const deliveryRows: DeliveriesTable[] = [];
      for (const e of events) {
        const c = contracts.get(e.contract_id);
        if (!c) continue;
        const data = datas.get(e.id) ?? {};
        const parties = new Set([c.client_id, c.freelancer_id]);
        const result = plan({
          event: {
            id: e.id,
            type: e.type,
            contractId: e.contract_id,
            actorKind: e.actor_kind,
            actorUserId: e.actor_user_id,
            createdAt: e.created_at,
            data,
          },
          contract: {
            id: c.id,
            title: c.title,
            currency: c.currency,
            clientId: c.client_id,
            freelancerId: c.freelancer_id,
          },
          milestone:
            typeof data.milestoneId === "string"
              ? (milestones.get(data.milestoneId) ?? null)
              : null,
          users,
          staff,
          endpoints: endpointRows
            .filter((w) => parties.has(w.user_id) || w.is_staff === 1)
            .map((w) => ({
              id: w.id,
              userId: w.user_id,
              events: w.events === null ? null : (JSON.parse(w.events) as string[]),
            })),
          // R7: the first milestone is funded by the offer itself, and only then.
          partOfOffer:
            e.type === "milestone.funded" &&
            typeof data.milestoneId === "string" &&
            milestones.get(data.milestoneId)?.position === 1,
        });
        for (const n of result.notifications) {
          notificationRows.push({
            id: this.ids.next("ntf"),
            user_id: n.userId,
            event_id: e.id,
            contract_id: e.contract_id,
            type: e.type,
            message: n.message,
            created_at: e.created_at,
            read_at: null,
          });
        }
        const deliveries = [
          ...result.emails.map((m) => ({
            channel: "email",
            recipient: m.userId,
            payload: m.payload,
          })),
          ...result.webhooks.map((w) => ({
            channel: "webhook",
            recipient: w.endpointId,
            payload: w.payload,
          })),
        ];
        for (const d of deliveries) {
          deliveryRows.push({
            id: this.ids.next("dlv"),
            channel: d.channel,
            event_id: e.id,
            event_type: e.type,
            recipient: d.recipient,
            payload: d.payload,
            status: "pending",
            attempts: 0,
            next_attempt_at: now,
            lease_until: null,
            lease_token: null,
            last_status_code: null,
            last_error: null,
            created_at: now,
            last_attempt_at: null,
            delivered_at: null,
          });
        }
      }
      // One statement per table for the whole batch (a fan-out is a background transaction).
      for (let i = 0; i < notificationRows.length; i += INSERT_CHUNK) {
        await insertRows(db, "notifications", notificationRows.slice(i, i + INSERT_CHUNK), {
          ignoreConflictOn: ["event_id", "user_id"],
        });
      }
      for (let i = 0; i < deliveryRows.length; i += INSERT_CHUNK) {
        await insertRows(db, "deliveries", deliveryRows.slice(i, i + INSERT_CHUNK), {
          ignoreConflictOn: ["event_id", "channel", "recipient"],
        });
      }
      await query(
        db,
        `delete from "outbox" where "event_id" in (${marks(claimed.length)})`,
        claimed,
      );
      return claimed.length;
    });
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs`: no other server takes them until the lease
   * ends (a server that dies mid-call leaves it to expire; the delivery is then redone).
   */
  async claimDue(now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    const token = randomBytes(12).toString("hex");
    const rows = await this.transaction(async (db) => {
      let claim = db
        .selectFrom("deliveries")
        .select("id")
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", now)
        .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", now)]))
        .orderBy("next_attempt_at")
        .orderBy("id")
        .limit(limit);
      if (this.handle.dialect === "postgres") claim = claim.forUpdate().skipLocked();
      const ids = (await claim.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      await db
        .updateTable("deliveries")
        .set((eb) => ({
          lease_until: now + leaseMs,
          lease_token: token,
          attempts: eb("attempts", "+", 1),
          last_attempt_at: now,
        }))
        .where("id", "in", ids)
        .execute();
      return db
        .selectFrom("deliveries as d")
        .leftJoin("webhook_endpoints as w", (join) =>
          join.onRef("w.id", "=", "d.recipient").on("d.channel", "=", "webhook"),
        )
        .select([
          "d.id",
          "d.channel",
          "d.event_id",
          "d.payload",
          "d.attempts",
          "d.created_at",
          "w.url",
          "w.secret",
          "w.deleted_at",
        ])
        .where("d.id", "in", ids)
        .orderBy("d.next_attempt_at")
        .orderBy("d.id")
        .execute();
    });
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel as "email" | "webhook",
      eventId: r.event_id,
      payload: r.payload,
      attempts: r.attempts,
      createdAt: r.created_at,
      leaseToken: token,
      endpoint:
        r.url !== null && r.secret !== null && r.deleted_at === null
          ? { url: r.url, secret: r.secret }
          : null,
    }));
  }

  /**
   * Records the outcome of one attempt, if this server still holds the delivery's lease.
   * Outcomes that arrive together (a pass sends its deliveries side by side) are written in one
   * transaction: one durable commit for the lot instead of one per delivery.
   */
  finish(delivery: ClaimedDelivery, outcome: DeliveryOutcome, now: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.finishing.push({ delivery, outcome, now, resolve, reject });
      if (this.finishing.length === 1) setImmediate(() => void this.writeFinished());
    });
  }

  private async writeFinished(): Promise<void> {
    const batch = this.finishing;
    this.finishing = [];
    try {
      await this.transaction(async (db) => {
        // Deliveries that went through, claimed together and answered alike (emails, webhook
        // 2xx with one status), are recorded with one statement; the rest one by one.
        const delivered = new Map<
          string,
          { ids: string[]; token: string; code: number | null; now: number }
        >();
        for (const { delivery, outcome, now } of batch) {
          if (outcome.kind !== "delivered") {
            await this.recordOutcome(db, delivery, outcome);
            continue;
          }
          const key = `${delivery.leaseToken}|${outcome.statusCode}`;
          const group = delivered.get(key) ?? {
            ids: [],
            token: delivery.leaseToken,
            code: outcome.statusCode,
            now,
          };
          group.ids.push(delivery.id);
          group.now = Math.max(group.now, now);
          delivered.set(key, group);
        }
        for (const group of delivered.values()) {
          await db
            .updateTable("deliveries")
            .set({
              lease_until: null,
              lease_token: null,
              status: "delivered",
              delivered_at: group.now,
              last_status_code: group.code,
              last_error: null,
            })
            .where("lease_token", "=", group.token)
            .where("id", "in", group.ids)
            .execute();
        }
      });
      for (const item of batch) item.resolve();
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }

  /** An outcome other than delivered (those are written together, in writeFinished). */
  private async recordOutcome(
    db: Transaction<Database & NotifyTables>,
    delivery: ClaimedDelivery,
    outcome: Exclude<DeliveryOutcome, { kind: "delivered" }>,
  ): Promise<void> {
    const base = db
      .updateTable("deliveries")
      .where("id", "=", delivery.id)
      .where("lease_token", "=", delivery.leaseToken);
    const unlease = { lease_until: null, lease_token: null };
    switch (outcome.kind) {
      case "retry":
        await base
          .set({
            ...unlease,
            next_attempt_at: outcome.nextAttemptAt,
            last_status_code: outcome.statusCode,
            last_error: outcome.error.slice(0, 500),
          })
          .execute();
        return;
      case "failed":
        await base
          .set({
            ...unlease,
            status: "failed",
            last_status_code: outcome.statusCode,
            last_error: outcome.error.slice(0, 500),
          })
          .execute();
        return;
      case "cancelled":
        await base.set({ ...unlease, status: "cancelled", last_error: outcome.error }).execute();
        return;
      case "released":
        await base.set(unlease).execute();
        return;
    }
  }

  // In-app notifications.

  async notifications(userId: string, unreadOnly: boolean, paging: PageRequest) {
    let query = this.db.selectFrom("notifications").selectAll().where("user_id", "=", userId);
    if (unreadOnly) query = query.where("read_at", "is", null);
    if (paging.startingAfter !== undefined) {
      const cursor = await this.db
        .selectFrom("notifications")
        .select("id")
        .where("user_id", "=", userId)
        .where("id", "=", paging.startingAfter)
        .executeTakeFirst();
      if (!cursor) throw new UnknownCursorError();
      query = query.where("id", "<", paging.startingAfter);
    }
    const rows = await query
      .orderBy("id", "desc")
      .limit(paging.limit + 1)
      .execute();
    return {
      data: rows.slice(0, paging.limit).map(notificationView),
      hasMore: rows.length > paging.limit,
    } satisfies Page<NotificationView>;
  }

  async markRead(userId: string, id: string, now: number): Promise<NotificationView | undefined> {
    await this.db
      .updateTable("notifications")
      .set({ read_at: now })
      .where("id", "=", id)
      .where("user_id", "=", userId)
      .where("read_at", "is", null)
      .execute();
    const row = await this.db
      .selectFrom("notifications")
      .selectAll()
      .where("id", "=", id)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return row && notificationView(row);
  }

  // Webhook endpoints.

  async createEndpoint(userId: string, url: string, events: string[] | null, now: number) {
    const row = {
      id: this.ids.next("whe"),
      user_id: userId,
      url,
      events: events === null ? null : JSON.stringify(events),
      secret: `whsec_${randomBytes(24).toString("hex")}`,
      created_at: now,
      deleted_at: null,
    };
    await this.db.insertInto("webhook_endpoints").values(row).execute();
    return { ...endpointView(row), secret: row.secret };
  }

  async endpoints(userId: string, paging: PageRequest): Promise<Page<EndpointView>> {
    const query = this.db
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("user_id", "=", userId)
      .where("deleted_at", "is", null);
    const rows = await keysetPage(query, "id", paging);
    return {
      data: rows.slice(0, paging.limit).map(endpointView),
      hasMore: rows.length > paging.limit,
    };
  }

  /** Deletes an endpoint; its pending deliveries are cancelled when they come due. */
  async deleteEndpoint(userId: string, id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable("webhook_endpoints")
      .set({ deleted_at: now })
      .where("id", "=", id)
      .where("user_id", "=", userId)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The delivery log of one endpoint, newest first. */
  async deliveries(endpointId: string, paging: PageRequest) {
    const query = this.db
      .selectFrom("deliveries")
      .selectAll()
      .where("recipient", "=", endpointId)
      .where("channel", "=", "webhook");
    const rows = await keysetPage(query, "id", paging);
    return {
      data: rows.slice(0, paging.limit).map(deliveryView),
      hasMore: rows.length > paging.limit,
    };
  }

  /**
   * Deletes finished deliveries (delivered, failed, cancelled) made before `before` (wall-clock
   * milliseconds), at most about `maxRows` in one call; pending ones stay, however old. Ids are
   * ULIDs of their creation time, so the rows are a range of the primary key: no index is
   * needed, and what is left is deleted by the next call. Answers how many were deleted.
   */
  async purgeFinished(before: number, maxRows = 20_000): Promise<number> {
    const bound = firstIdAt("dlv", before);
    let deleted = 0;
    while (deleted < maxRows) {
      // Each chunk a short write of its own, on SQLite as background work in the group commit.
      const result = await this.transaction((db) =>
        db
          .deleteFrom("deliveries")
          .where("id", "in", (q) =>
            q
              .selectFrom("deliveries")
              .select("id")
              .where("id", "<", bound)
              .where("status", "<>", "pending")
              .orderBy("id")
              .limit(PURGE_CHUNK),
          )
          .executeTakeFirst(),
      );
      const count = Number(result.numDeletedRows);
      deleted += count;
      if (count < PURGE_CHUNK) break;
    }
    return deleted;
  }

  /** The user an owned object belongs to, or undefined when it does not exist (or is deleted). */
  async ownerOf(resource: "notification" | "webhook_endpoint", id: string) {
    if (resource === "notification") {
      const row = await this.db
        .selectFrom("notifications")
        .select("user_id")
        .where("id", "=", id)
        .executeTakeFirst();
      return row?.user_id;
    }
    const row = await this.db
      .selectFrom("webhook_endpoints")
      .select("user_id")
      .where("id", "=", id)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    return row?.user_id;
  }
}
