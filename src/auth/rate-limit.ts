/**
 * Login and sign-up throttling: fixed windows counted in the database, so every server shares
 * them. Only failed attempts count against an account, and a window ends on its own, so an
 * attacker can slow a real user's logins for one window at most, never lock them out for good.
 * Sign-ups are counted per client address: each costs a deliberately slow password hash, so an
 * unthrottled stream of them would take the machine's CPU from everyone else.
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "../storage/schema.js";

export interface Limit {
  readonly max: number;
  readonly windowMs: number;
}

export const LOGIN_LIMITS = {
  perAccount: { max: 10, windowMs: 15 * 60 * 1000 },
  perIp: { max: 100, windowMs: 15 * 60 * 1000 },
} as const satisfies Record<string, Limit>;

/** The window of the sign-up limit per client address (`ESCROW_SIGNUP_LIMIT` per window). */
export const SIGNUP_WINDOW_MS = 60 * 60 * 1000;

/** Password reset (password-resets.ts): links asked for per email and per address, and uses. */
export const RESET_LIMITS = {
  perEmail: { max: 5, windowMs: 60 * 60 * 1000 },
  perIp: { max: 20, windowMs: 60 * 60 * 1000 },
} as const satisfies Record<string, Limit>;

/** The longest window of any limit: a count whose window started this long ago has ended. */
export const LONGEST_WINDOW_MS = Math.max(
  SIGNUP_WINDOW_MS,
  ...[...Object.values(LOGIN_LIMITS), ...Object.values(RESET_LIMITS)].map((l) => l.windowMs),
);

export class RateLimiter {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Counts one attempt in the current window of `key`, atomically, and answers how many seconds
   * the caller must wait (0: go ahead). Counting before the work makes concurrent attempts count
   * too: forty parallel guesses are forty attempts, not one.
   */
  async take(key: string, limit: Limit, now: number): Promise<number> {
    const fresh = now - limit.windowMs;
    const row = await this.db
      .insertInto("rate_limits")
      .values({ key, window_start: now, count: 1 })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({
          count: sql`case when rate_limits.window_start <= ${fresh} then 1 else rate_limits.count + 1 end`,
          window_start: sql`case when rate_limits.window_start <= ${fresh} then ${now} else rate_limits.window_start end`,
        }),
      )
      .returning(["count", "window_start"])
      .executeTakeFirstOrThrow();
    if (Number(row.count) <= limit.max) return 0;
    return Math.max(1, Math.ceil((Number(row.window_start) + limit.windowMs - now) / 1000));
  }

  /**
   * Deletes counts whose window started at or before `endedBy` (now minus the longest window),
   * so each address or email seen once is not kept for ever. A deleted count is what `take`
   * would start over anyway.
   */
  async purgeEnded(endedBy: number): Promise<number> {
    const result = await this.db
      .deleteFrom("rate_limits")
      .where("window_start", "<=", endedBy)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom("rate_limits").where("key", "=", key).execute();
  }
}
