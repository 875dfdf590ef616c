/**
 * Login throttling: fixed windows counted in the database, so every server shares them. Only
 * failed attempts count against an account, and a window ends on its own, so an attacker can
 * slow a real user's logins for one window at most, never lock them out for good.
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

export class RateLimiter {
  constructor(private readonly db: Kysely<Database>) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  async retryAfter(key: string, limit: Limit, now: number): Promise<number> {
    const row = await this.db
      .selectFrom("rate_limits")
      .selectAll()
      .where("key", "=", key)
      .executeTakeFirst();
    if (!row || now >= row.window_start + limit.windowMs || row.count < limit.max) return 0;
    return Math.ceil((row.window_start + limit.windowMs - now) / 1000);
  }

  /** Counts one attempt in the current window of `key`. */
  async hit(key: string, limit: Limit, now: number): Promise<void> {
    const fresh = now - limit.windowMs;
    await this.db
      .insertInto("rate_limits")
      .values({ key, window_start: now, count: 1 })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({
          count: sql`case when rate_limits.window_start <= ${fresh} then 1 else rate_limits.count + 1 end`,
          window_start: sql`case when rate_limits.window_start <= ${fresh} then ${now} else rate_limits.window_start end`,
        }),
      )
      .execute();
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom("rate_limits").where("key", "=", key).execute();
  }
}
