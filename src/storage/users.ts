/** User rows: creation and lookup outside commands (sign-up, staff bootstrap, tests). */
import type { Kysely } from "kysely";
import type { User } from "../app/ports.js";
import { userFromRow } from "./rows.js";
import type { Database } from "./schema.js";

export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly isStaff: boolean;
  readonly createdAt: number;
}

/** Inserts a user; returns undefined when the email is taken (the unique index decides). */
export async function insertUser(db: Kysely<Database>, user: NewUser): Promise<User | undefined> {
  const result = await db
    .insertInto("users")
    .values({
      id: user.id,
      email: user.email,
      name: user.name,
      password_hash: user.passwordHash,
      is_staff: user.isStaff ? 1 : 0,
      created_at: user.createdAt,
    })
    .onConflict((oc) => oc.column("email").doNothing())
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return undefined;
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", user.id)
    .executeTakeFirstOrThrow();
  return userFromRow(row);
}
