/**
 * Ids: a type prefix and a ULID (48-bit millisecond time + 80 random bits, Crockford base32),
 * monotonic within the process so ids made in the same millisecond still sort by creation.
 */
import { randomBytes } from "node:crypto";
import type { IdGenerator } from "../app/ports.js";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function encodeTime(ms: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32]! + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/**
 * The smallest id of `prefix` made at `ms` (wall clock): every id of that prefix made earlier
 * sorts below it, so "made before" is a range of the ids.
 */
export function firstIdAt(prefix: string, ms: number): string {
  return `${prefix}_${encodeTime(ms)}`;
}

export class UlidGenerator implements IdGenerator {
  private lastTime = -1;
  private lastRandom: number[] = [];

  constructor(private readonly wallClock: () => number = Date.now) {}

  next(prefix: string): string {
    const time = Math.max(this.wallClock(), this.lastTime);
    if (time === this.lastTime) {
      this.increment();
    } else {
      this.lastTime = time;
      this.lastRandom = [...randomBytes(16)].map((b) => b % 32);
    }
    return `${prefix}_${encodeTime(time)}${this.lastRandom.map((d) => ALPHABET[d]).join("")}`;
  }

  private increment(): void {
    for (let i = this.lastRandom.length - 1; i >= 0; i--) {
      if (this.lastRandom[i]! < 31) {
        this.lastRandom[i]! += 1;
        return;
      }
      this.lastRandom[i] = 0;
    }
  }
}
