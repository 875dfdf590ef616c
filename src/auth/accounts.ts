/**
 * Accounts (R1): sign-up, login with throttling, and staff accounts given by the operator.
 */
import type { Kysely } from "kysely";
import type { IdGenerator, User } from "../app/ports.js";
import { fail, ok, type Result } from "../domain/result.js";
import { userFromRow } from "../storage/rows.js";
import type { Database } from "../storage/schema.js";
import { insertUser } from "../storage/users.js";
import { decoyHash, hashPassword, verifyPassword } from "./passwords.js";
import {
  LOGIN_LIMITS,
  SIGNUP_WINDOW_MS,
  throttled,
  type RateLimiter,
  type Throttled,
} from "./rate-limit.js";
import type { Sessions } from "./sessions.js";

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface LoginOutcome {
  readonly user: User;
  readonly token: string;
}

export class Accounts {
  private decoy: Promise<string> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ids: IdGenerator,
    private readonly sessions: Sessions,
    private readonly limiter: RateLimiter,
    private readonly scryptLogN: number,
    private readonly wallClock: () => number,
    /** Sign-ups accepted per client address per hour; 0: no limit. */
    private readonly signupsPerHour = 0,
  ) {}

  /**
   * Creates an account and logs it in. With the client's address (`from`), the sign-up is
   * counted against that address's hourly limit first, before the costly password hash.
   */
  async signUp(
    input: { email: string; password: string; name: string },
    from?: string,
  ): Promise<Result<LoginOutcome> | Throttled> {
    const now = this.wallClock();
    if (from !== undefined && this.signupsPerHour > 0) {
      const limit = { max: this.signupsPerHour, windowMs: SIGNUP_WINDOW_MS };
      const wait = await this.limiter.takeFrom("signup", from, limit, now);
      if (wait > 0) return throttled("too many sign-ups from this address; try again later", wait);
    }
    const user = await insertUser(this.db, {
      id: this.ids.next("usr"),
      email: normalizeEmail(input.email),
      name: input.name.trim(),
      passwordHash: await hashPassword(input.password, this.scryptLogN),
      isStaff: false,
      createdAt: now,
    });
    if (!user) return fail("email_taken", "an account with this email already exists", "email");
    return ok({ user, token: await this.sessions.create(user.id, now) });
  }

  /**
   * Failed attempts are counted per account and per IP; the answer for an unknown email costs
   * the same time as for a wrong password, so it does not reveal which emails exist.
   */
  async logIn(
    email: string,
    password: string,
    ip: string,
  ): Promise<Result<LoginOutcome> | Throttled> {
    const now = this.wallClock();
    const accountKey = `login:account:${normalizeEmail(email)}`;
    // Every attempt is counted before the password is checked; a success clears the account's
    // count, so only a run of failures (or a flood from one address) is slowed down.
    const wait = Math.max(
      await this.limiter.take(accountKey, LOGIN_LIMITS.perAccount, now),
      await this.limiter.takeFrom("login", ip, LOGIN_LIMITS.perIp, now),
    );
    if (wait > 0) return throttled("too many login attempts; try again later", wait);
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", normalizeEmail(email))
      .executeTakeFirst();
    this.decoy ??= decoyHash(this.scryptLogN);
    const matches = await verifyPassword(password, row?.password_hash ?? (await this.decoy));
    if (!row || !matches) return fail("unauthenticated", "the email or password is wrong");
    await this.limiter.clear(accountKey);
    return ok({ user: userFromRow(row), token: await this.sessions.create(row.id, now) });
  }

  /** Creates a staff account, or keeps the existing one (made staff, its password untouched). */
  async ensureStaff(email: string, password: string, name = "Dispute team"): Promise<User> {
    const normalized = normalizeEmail(email);
    const passwordHash = await hashPassword(password, this.scryptLogN);
    const created = await insertUser(this.db, {
      id: this.ids.next("usr"),
      email: normalized,
      name,
      passwordHash,
      isStaff: true,
      createdAt: this.wallClock(),
    });
    if (created) return created;
    await this.db
      .updateTable("users")
      .set({ is_staff: 1 })
      .where("email", "=", normalized)
      .execute();
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", normalized)
      .executeTakeFirstOrThrow();
    return userFromRow(row);
  }
}
