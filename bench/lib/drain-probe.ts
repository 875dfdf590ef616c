/**
 * G5's drain probe: a count on a read-only SQLite connection, every 50 ms, on a worker thread,
 * until it reaches a target. On the load generator's thread the count (40-90 ms at 100,000
 * milestones) held back the interactive requests measured meanwhile.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.module);
const db = new SQLite(workerData.file, { readonly: true });
const count = db.prepare(workerData.sql).pluck();
const look = () => {
  if (count.get() >= workerData.target) {
    parentPort.postMessage(performance.timeOrigin + performance.now());
    db.close();
  } else {
    setTimeout(look, 50);
  }
};
look();
`;

export interface DrainProbe {
  /** When the count reached the target (on this thread's `performance.now()` clock), or null. */
  readonly reached: Promise<number | null>;
  /** Stops looking; `reached` is null if the target was not reached before. */
  stop(): Promise<void>;
}

export function drainProbe(file: string, sql: string, target: number): DrainProbe {
  const module = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER, { eval: true, workerData: { module, file, sql, target } });
  let settle: (at: number | null) => void = () => undefined;
  const reached = new Promise<number | null>((resolve, reject) => {
    settle = resolve;
    // Both threads' clocks are read as wall time: each has its own time origin.
    worker.once("message", (at: number) => resolve(at - performance.timeOrigin));
    worker.once("error", reject);
    worker.once("exit", () => resolve(null));
  });
  return {
    reached,
    stop: async () => {
      settle(null);
      await worker.terminate();
    },
  };
}
