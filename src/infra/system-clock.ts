import type { Clock } from "../app/ports.js";

/** Real time. */
export class SystemClock implements Clock {
  now(): Promise<number> {
    return Promise.resolve(Date.now());
  }
}
