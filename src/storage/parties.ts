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
  const contractId =
    resource === "contract"
      ? id
      : (
          await db
            .selectFrom(TABLE[resource] as "milestones")
            .select("contract_id")
            .where("id", "=", id)
            .executeTakeFirst()
        )?.contract_id;
  if (contractId === undefined) return undefined;
  return db
    .selectFrom("contracts")
    .select(["id as contractId", "client_id as clientId", "freelancer_id as freelancerId"])
    .where("id", "=", contractId)
    .executeTakeFirst();
}
