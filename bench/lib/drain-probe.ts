/**
 * G5's drain probe: a count of the work still waiting, on a read-only SQLite connection, every
 * 50 ms, on a worker thread, until it falls to a target. The count must be cheap: it shares the
 * machine with the server it measures. A count of paid milestones through a join (40-90 ms at
 * 100,000, every 50 ms) kept half a core busy, and on the load generator's thread it held back
 * the interactive requests measured meanwhile; the due milestones still waiting are read from
 * the sweep's own partial index, which empties as the sweep runs.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.module);
const db = new SQLite(workerData.file, { readonly: true });
const count = db.prepare(workerData.sql).pluck();
const params = workerData.params;
let timer = null;
const done = () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
};
const look = () => {
  // The time the count's snapshot starts, not when the count (tens of ms) ends.
  const at = performance.timeOrigin + performance.now();
  if (count.get(...params) <= workerData.target) {
    parentPort.postMessage(at);
    done();
  } else {
    timer = setTimeout(look, 50);
  }
};
parentPort.on("message", done);
look();
`;

export interface DrainProbe {
  /** When the count fell to the target (on this thread's `performance.now()` clock), or null. */
  readonly reached: Promise<number | null>;
  /** Stops looking; `reached` is null if the target was not reached before. */
  stop(): Promise<void>;
}

/** Looks until `sql` (a count, with `params`) is at most `target`. */
export function drainProbe(
  file: string,
  sql: string,
  params: readonly unknown[],
  target: number,
): DrainProbe {
  const module = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { module, file, sql, params, target },
  });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const reached = new Promise<number | null>((resolve, reject) => {
    // Both threads' clocks are read as wall time: each has its own time origin.
    worker.once("message", (at: number) => resolve(at - performance.timeOrigin));
    worker.once("error", reject);
    // A time posted before the worker ends arrives before its exit.
    void exited.then(() => resolve(null));
  });
  return {
    reached,
    stop: async () => {
      worker.postMessage("stop");
      await exited;
    },
  };
}
