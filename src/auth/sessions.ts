/**
 * Sessions: a token of 256 random bits, given to the client once and stored only as its
 * SHA-256 hash. Revocable one by one (logout), with idle and absolute expiry.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { IdGenerator, User } from "../app/ports.js";
import { query } from "../storage/fast-sql.js";
import { userFromRow } from "../storage/rows.js";
import type { Database } from "../storage/schema.js";

const HOUR_MS = 60 * 60 * 1000;
/** last_used_at is written at most this often, so reading a page is not a write. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface SessionSettings {
  readonly idleHours: number;
  readonly maxHours: number;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export class Sessions {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ids: IdGenerator,
    private readonly settings: SessionSettings,
    /** Where the per-request lookup reads (a read connection; writes go to `db`). */
    private readonly readDb: Kysely<Database> = db,
  ) {}

  async create(userId: string, now: number): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await this.db
      .insertInto("sessions")
      .values({
        id: this.ids.next("ses"),
        token_hash: hashToken(token),
        user_id: userId,
        created_at: now,
        last_used_at: now,
        expires_at: now + this.settings.maxHours * HOUR_MS,
        revoked_at: null,
      })
      .execute();
    return token;
  }

  /** The user of a live session, or undefined when the token is unknown, revoked or expired. */
  async authenticate(
    token: string,
    now: number,
  ): Promise<(User & { sessionId: string }) | undefined> {
    const [row] = (
      await query<
        Database["users"] & {
          session_id: string;
          last_used_at: number;
          expires_at: number;
          revoked_at: number | null;
        }
      >(
        this.readDb,
        `select u.*, s."id" as "session_id", s."last_used_at", s."expires_at", s."revoked_at"
         from "sessions" s inner join "users" u on u."id" = s."user_id" where s."token_hash" = ?`,
        [hashToken(token)],
      )
    ).rows;
    if (!row || row.revoked_at !== null) return undefined;
    if (now >= row.expires_at || now >= row.last_used_at + this.settings.idleHours * HOUR_MS)
      return undefined;
    if (now - row.last_used_at > TOUCH_EVERY_MS) {
      await this.db
        .updateTable("sessions")
        .set({ last_used_at: now })
        .where("id", "=", row.session_id)
        .execute();
    }
    return { ...userFromRow(row), sessionId: row.session_id };
  }

  /** Ends every live session of a user, in `db` (a transaction of the caller's, if given). */
  async revokeAll(userId: string, now: number, db: Kysely<Database> = this.db): Promise<void> {
    await db
      .updateTable("sessions")
      .set({ revoked_at: now })
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .execute();
  }

  async revoke(sessionId: string, now: number): Promise<void> {
    await this.db
      .updateTable("sessions")
      .set({ revoked_at: now })
      .where("id", "=", sessionId)
      .execute();
  }
}
