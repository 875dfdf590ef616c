/**
 * The notification outbox (docs/NOTIFICATIONS.md): applyPlan records every event it writes here,
 * in the same transaction, so an event that committed is always fanned out to notifications,
 * emails and webhook calls, and one that rolled back never is.
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { NotifyTables } from "./notify-schema.js";

export async function writeOutbox(
  db: Kysely<Database>,
  events: readonly { id: string; contract_id: string; created_at: number }[],
): Promise<void> {
  if (events.length === 0) return;
  await db
    .withTables<NotifyTables>()
    .insertInto("outbox")
    .values(
      events.map((e) => ({ event_id: e.id, contract_id: e.contract_id, created_at: e.created_at })),
    )
    .execute();
}
