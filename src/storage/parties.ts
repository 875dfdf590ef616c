/** Which contract, and so which parties, an object belongs to: the basis of every access check (R2). */
import type { Kysely } from "kysely";
import { query } from "./fast-sql.js";
import type { Database } from "./schema.js";

export type OwnedResource =
  "contract" | "milestone" | "refund_request" | "dispute" | "due_date_change";

const TABLE = {
  milestone: "milestones",
  refund_request: "refund_requests",
  dispute: "disputes",
  due_date_change: "due_date_changes",
} as const;

export interface Parties {
  readonly contractId: string;
  readonly clientId: string;
  readonly freelancerId: string;
}

export async function partiesOf(
  db: Kysely<Database>,
  resource: OwnedResource,
  id: string,
): Promise<Parties | undefined> {
  const columns = `c."id" as "contractId", c."client_id" as "clientId", c."freelancer_id" as "freelancerId"`;
  // One round trip: the object joined to its contract.
  const text =
    resource === "contract"
      ? `select ${columns} from "contracts" c where c."id" = ?`
      : `select ${columns} from "${TABLE[resource]}" o inner join "contracts" c on c."id" = o."contract_id" where o."id" = ?`;
  const { rows } = await query<Parties>(db, text, [id]);
  return rows[0];
}
