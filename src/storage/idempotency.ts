/** Housekeeping of idempotency records past their retention (they are no longer replayed). */
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export async function purgeExpiredIdempotencyKeys(
  db: Kysely<Database>,
  before: number,
): Promise<number> {
  const result = await db
    .deleteFrom("idempotency_keys")
    .where("created_at", "<", before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
