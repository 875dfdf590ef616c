/**
 * Password reset by email (R1). Asking for a link answers at once, the same whether or not the
 * email has an account: the lookup, the link and the email come after the answer, so neither the
 * answer nor its timing tells who has one. The link carries a token of 256 random bits, stored
 * only as its SHA-256 hash, good for one hour and one use. Setting the new password ends every
 * session of the account (whoever knew the old password is logged out) and logs the user in
 * afresh. Both steps are throttled per client address (and asking, per email too) before any
 * work, and a token is checked before the deliberately slow hash of the new password.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { User } from "../app/ports.js";
import { fail, ok, type Result } from "../domain/result.js";
import type { Mailer } from "../notify/mailer.js";
import { renderEmail } from "../notify/catalog.js";
import { userFromRow } from "../storage/rows.js";
import type { Database } from "../storage/schema.js";
import { normalizeEmail, type LoginOutcome } from "./accounts.js";
import { hashPassword } from "./passwords.js";
import { RESET_LIMITS, throttled, type RateLimiter, type Throttled } from "./rate-limit.js";
import { hashToken, type Sessions } from "./sessions.js";
import type { Dialect } from "../storage/dialect.js";
import { withPgRetries } from "../storage/sql-store.js";

/** How long a reset link works. */
export const RESET_LINK_MS = 60 * 60 * 1000;

const throttledReset = (retryAfter: number) =>
  throttled("too many password reset requests; try again later", retryAfter);

export class PasswordResets {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly sessions: Sessions,
    private readonly limiter: RateLimiter,
    private readonly mailer: Mailer,
    private readonly options: { publicUrl: string; scryptLogN: number },
    private readonly log: Pick<Logger, "error">,
    private readonly wallClock: () => number,
  ) {}

  /**
   * Sends a reset link to `email` if it has an account. Answers once the request is counted;
   * the rest happens after, and a failure is logged.
   */
  async request(email: string, from: string): Promise<Throttled | { ok: true }> {
    const now = this.wallClock();
    const address = normalizeEmail(email);
    const wait = Math.max(
      await this.limiter.take(`reset:email:${address}`, RESET_LIMITS.perEmail, now),
      await this.limiter.takeFrom("reset", from, RESET_LIMITS.perIp, now),
    );
    if (wait > 0) return throttledReset(wait);
    void this.sendLink(address, now).catch((error: unknown) => {
      this.log.error({ err: error }, "password reset email failed");
    });
    return { ok: true };
  }

  private async sendLink(address: string, now: number): Promise<void> {
    const row = await this.db
      .selectFrom("users")
      .select(["id", "name", "email"])
      .where("email", "=", address)
      .executeTakeFirst();
    if (!row) return;
    const token = randomBytes(32).toString("base64url");
    await this.db
      .insertInto("password_resets")
      .values({
        token_hash: hashToken(token),
        user_id: row.id,
        created_at: now,
        expires_at: now + RESET_LINK_MS,
        used_at: null,
      })
      .execute();
    // In the fragment, so the token reaches neither server logs nor Referer headers.
    const link = `${this.options.publicUrl}/reset-password#token=${token}`;
    await this.mailer.send(
      renderEmail(
        {
          subject: "Reset your password",
          message:
            "Someone, probably you, asked to reset the password of your Escrow account. The link below works once, for one hour.",
          nextStep:
            "Open the link and choose a new password. If you did not ask for this, ignore this email: your password stays as it is.",
        },
        row,
        link,
        "Choose a new password",
      ),
    );
  }

  /**
   * Sets a new password with a token from a reset link: once, within the hour. Ends every
   * session of the account and every other unused link, and logs the user in.
   */
  async confirm(
    token: string,
    password: string,
    from: string,
  ): Promise<Result<LoginOutcome> | Throttled> {
    const now = this.wallClock();
    const wait = await this.limiter.takeFrom("reset-confirm", from, RESET_LIMITS.perIp, now);
    if (wait > 0) return throttledReset(wait);
    const tokenHash = hashToken(token);
    const invalid = fail(
      "validation_failed",
      "this reset link is not valid or has expired",
      "token",
    );
    // A token that cannot work is refused before the deliberately slow hash.
    const link = await this.db
      .selectFrom("password_resets")
      .select("user_id")
      .where("token_hash", "=", tokenHash)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    if (!link) return invalid;
    const passwordHash = await hashPassword(password, this.options.scryptLogN);
    const user = await withPgRetries(() =>
      this.db.transaction().execute(async (tx): Promise<User | undefined> => {
        // The user's row first (PostgreSQL): two links of one user confirmed at once then wait
        // for each other here instead of each locking its link and then the other's.
        if (this.dialect === "postgres") {
          await tx
            .selectFrom("users")
            .select("id")
            .where("id", "=", link.user_id)
            .forUpdate()
            .execute();
        }
        const claimed = await tx
          .updateTable("password_resets")
          .set({ used_at: now })
          .where("token_hash", "=", tokenHash)
          .where("used_at", "is", null)
          .where("expires_at", ">", now)
          .returning("user_id")
          .executeTakeFirst();
        if (!claimed) return undefined;
        const row = await tx
          .updateTable("users")
          .set({ password_hash: passwordHash })
          .where("id", "=", claimed.user_id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await this.sessions.revokeAll(claimed.user_id, now, tx);
        await tx
          .updateTable("password_resets")
          .set({ used_at: now })
          .where("user_id", "=", claimed.user_id)
          .where("used_at", "is", null)
          .execute();
        return userFromRow(row);
      }),
    );
    if (!user) return invalid;
    // Failed logins counted against the account no longer matter: its password is new.
    await this.limiter.clear(`login:account:${user.email}`);
    return ok({ user, token: await this.sessions.create(user.id, now) });
  }

  /** Deletes links that can no longer be used (housekeeping). */
  async purgeExpired(before: number): Promise<void> {
    await this.db.deleteFrom("password_resets").where("expires_at", "<=", before).execute();
  }
}
