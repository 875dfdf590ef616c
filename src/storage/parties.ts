/** Which contract, and so which parties, an object belongs to: the basis of every access check (R2). */
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export type OwnedResource =
  "contract" | "milestone" | "refund_request" | "dispute" | "due_date_change";

const TABLE = {
  milestone: "milestones",
  refund_request: "refund_requests",
  dispute: "disputes",
  due_date_change: "due_date_changes",
} as const;

export async function partiesOf(db: Kysely<Database>, resource: OwnedResource, id: string) {
  const parties = [
    "c.id as contractId",
    "c.client_id as clientId",
    "c.freelancer_id as freelancerId",
  ] as const;
  if (resource === "contract") {
    return db
      .selectFrom("contracts as c")
      .select(parties)
      .where("c.id", "=", id)
      .executeTakeFirst();
  }
  // One round trip: the object joined to its contract.
  return db
    .selectFrom(`${TABLE[resource] as "milestones"} as o`)
    .innerJoin("contracts as c", "c.id", "o.contract_id")
    .select(parties)
    .where("o.id", "=", id)
    .executeTakeFirst();
}
