import type { Clock } from "../../src/app/ports.js";
import { DAY_MS } from "../../src/domain/types.js";

/** A clock that moves only when told: day 0 is 2026-01-05T09:00:00Z. */
export class FakeClock implements Clock {
  static readonly DAY_ZERO = Date.parse("2026-01-05T09:00:00.000Z");
  current = FakeClock.DAY_ZERO;

  now(): Promise<number> {
    return Promise.resolve(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  /** Moves to `days` (and optional extra ms) after day 0. */
  toDay(days: number, extraMs = 0): void {
    this.current = FakeClock.DAY_ZERO + days * DAY_MS + extraMs;
  }
}
