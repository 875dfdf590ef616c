/**
 * Login and sign-up throttling: fixed windows counted in the database, so every server shares
 * them. Only failed attempts count against an account, and a window ends on its own, so an
 * attacker can slow a real user's logins for one window at most, never lock them out for good.
 * Sign-ups are counted per client address: each costs a deliberately slow password hash, so an
 * unthrottled stream of them would take the machine's CPU from everyone else.
 */
import { isIPv6 } from "node:net";
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

/**
 * The client a per-address limit counts: an IPv4 address as it is (an IPv4-mapped IPv6 address,
 * as a dual-stack server sees IPv4 clients, as its IPv4), an IPv6 address by its /64, the block
 * one subscriber is usually given, so that walking through the addresses of one's own block
 * does not buy new allowances.
 */
export function clientKey(address: string): string {
  const ip = address.replace(/%.*$/, "").toLowerCase();
  if (!isIPv6(ip)) return ip;
  const groups = ipv6Groups(ip);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 255, low >> 8, low & 255].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted tail included). */
function ipv6Groups(ip: string): number[] {
  const [head = "", tail] = ip.split("::");
  const parse = (part: string) =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** Too many attempts: answered 429 with `Retry-After: retryAfter` (seconds). */
export interface Throttled {
  readonly ok: false;
  readonly code: "rate_limited";
  readonly message: string;
  readonly retryAfter: number;
}

export function throttled(message: string, retryAfter: number): Throttled {
  return { ok: false, code: "rate_limited", message, retryAfter };
}

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

  /** `take` for a client address, counted as `clientKey` says (an IPv6 client by its /64). */
  takeFrom(kind: string, address: string, limit: Limit, now: number): Promise<number> {
    return this.take(`${kind}:ip:${clientKey(address)}`, limit, now);
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
