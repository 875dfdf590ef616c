/**
 * The load generator (undici, keep-alive): closed loop (N requests in flight) and open loop (a
 * fixed arrival rate; latency counted from each request's scheduled time, so a stalled server
 * cannot hide its queue). Every loop is bounded in time and in count; traffic only to 127.0.0.1.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { Pool } from "undici";
import { sortNumbers } from "./stats.js";

export interface Request {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** What a workload hands the loop: the next request, or null when it has no more. */
export interface Workload {
  next(): {
    request: Request;
    done: (status: number) => void;
    /** The closed loop waits for it before sending. */
    ready?: Promise<void>;
    /** Requests with the same chain are sent one after another's answer (the open loop). */
    chain?: number;
  } | null;
}

export interface LoadResult {
  readonly completed: number;
  readonly errors: number;
  readonly statuses: Record<string, number>;
  readonly seconds: number;
  readonly rate: number;
  /** Sorted latencies, ms. */
  readonly latencies: number[];
  readonly dropped: number;
}

export function pools(urls: readonly string[], connections: number): Pool[] {
  return urls.map((url) => new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 }));
}

async function send(pool: Pool, request: Request): Promise<number> {
  const response = await pool.request({
    method: request.method,
    path: request.path,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  await response.body.dump({ limit: 1 << 30 });
  return response.statusCode;
}

function result(
  completed: number,
  errors: number,
  statuses: Record<string, number>,
  seconds: number,
  latencies: number[],
  dropped = 0,
): LoadResult {
  return {
    completed,
    errors,
    statuses,
    seconds,
    rate: completed / seconds,
    latencies: sortNumbers(latencies),
    dropped,
  };
}

/** `concurrency` requests in flight, spread over the pools, until `seconds` or the workload ends. */
export async function closedLoop(
  targets: readonly Pool[],
  workload: Workload,
  concurrency: number,
  seconds: number,
  maxRequests = 1_000_000,
): Promise<LoadResult> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let completed = 0;
  let errors = 0;
  let issued = 0;
  let last = start;
  const worker = async (index: number) => {
    const pool = targets[index % targets.length]!;
    while (performance.now() < end && issued < maxRequests) {
      const item = workload.next();
      if (!item) return;
      issued++;
      if (item.ready) await item.ready;
      const t0 = performance.now();
      let status = 0;
      try {
        status = await send(pool, item.request);
      } catch {
        status = 0;
      }
      const t1 = performance.now();
      item.done(status);
      latencies.push(t1 - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      completed++;
      if (status < 200 || status >= 300) errors++;
      last = t1;
      // The server is gone (the kill -9 test): stop this worker rather than spin.
      if (status === 0) return;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  return result(completed, errors, statuses, (last - start) / 1000, latencies);
}

/**
 * The open loop's sender, on a worker thread of its own: its event loop and heap hold only the
 * requests and their timings. On the benchmark's main thread, whose heap holds the seeded ids and
 * every earlier phase's results, garbage collection paused the sender for up to 14 ms at a time
 * and each pause was counted as the servers' latency.
 */
const OPEN_LOOP_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { Pool } = require(workerData.undici);
const { urls, connections, requests, chains, rate, maxInFlight, planned } = workerData;
const pools = urls.map(
  (url) => new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60000 }),
);
const n = requests.length;
const status = new Int16Array(n);
const latency = new Float64Array(n);
// 0 not sent (stopped first), 1 sent, 2 dropped (too many in flight)
const state = new Uint8Array(n);
const tails = new Map();
let stopped = false;
parentPort.on("message", () => (stopped = true));
let inFlight = 0;
let idle = null;
const send = async (pool, request) => {
  const response = await pool.request(request);
  await response.body.dump({ limit: 1 << 30 });
  return response.statusCode;
};
const fire = (i, scheduled) => {
  inFlight++;
  state[i] = 1;
  const chain = chains[i];
  const previous = chain >= 0 ? tails.get(chain) : undefined;
  const run = (async () => {
    // A contract's next step waits for the answer to its previous one.
    if (previous) await previous;
    let code = 0;
    try {
      code = await send(pools[i % pools.length], requests[i]);
    } catch {
      code = 0;
    }
    latency[i] = performance.now() - scheduled;
    status[i] = code;
    inFlight--;
    if (inFlight === 0 && idle) idle();
  })();
  if (chain >= 0) tails.set(chain, run);
};
(async () => {
  // The connections are opened first, untimed, with a request that changes nothing, so the
  // first timed requests do not pay for them (as the in-process loop's reused pools did not).
  await Promise.all(
    pools.flatMap((pool) =>
      Array.from({ length: connections }, () =>
        pool.request({ method: "GET", path: "/healthz" }).then((r) => r.body.dump()),
      ),
    ),
  );
  const start = performance.now();
  const interval = 1000 / rate;
  let sent = 0;
  // Arrivals for which the workload had no request left: dropped.
  let exhausted = 0;
  while (sent < planned && !stopped) {
    // Request k is due at start + k * interval (the first at once): fired as soon as the loop
    // sees its time, and timed from it.
    const due = Math.min(planned, Math.floor((performance.now() - start) / interval) + 1);
    while (sent < due) {
      const i = sent++;
      if (i >= n) exhausted++;
      else if (inFlight >= maxInFlight) state[i] = 2;
      else fire(i, start + i * interval);
    }
    if (sent < planned) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const seconds = (performance.now() - start) / 1000;
  if (inFlight > 0) await new Promise((resolve) => (idle = resolve));
  await Promise.all(pools.map((pool) => pool.close()));
  parentPort.postMessage({ status, latency, state, seconds, exhausted }, [
    status.buffer,
    latency.buffer,
    state.buffer,
  ]);
})();
`;

/**
 * Requests arrive at `rate` per second for `seconds`, whatever the answers; a request still
 * unsent because `maxInFlight` are outstanding counts as dropped (an error). The requests are
 * drawn from the workload first and sent from a worker thread (`OPEN_LOOP_WORKER`), over
 * `connections` keep-alive connections to each of `urls`; `stopWhen`, looked at every 5 ms,
 * ends the loop early.
 */
export async function openLoop(
  urls: readonly string[],
  connections: number,
  workload: Workload,
  rate: number,
  seconds: number,
  maxInFlight = 4000,
  stopWhen?: () => boolean,
): Promise<LoadResult> {
  const planned = Math.max(1, Math.round(rate * seconds));
  const items: NonNullable<ReturnType<Workload["next"]>>[] = [];
  for (let item = workload.next(); item; item = items.length < planned ? workload.next() : null) {
    items.push(item);
  }
  const worker = new Worker(OPEN_LOOP_WORKER, {
    eval: true,
    workerData: {
      undici: createRequire(import.meta.url).resolve("undici"),
      urls,
      connections,
      requests: items.map(({ request }) => ({
        method: request.method,
        path: request.path,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      })),
      chains: Int32Array.from(items, (item) => item.chain ?? -1),
      rate,
      maxInFlight,
      planned,
    },
  });
  const watch = stopWhen
    ? setInterval(() => {
        if (stopWhen()) worker.postMessage("stop");
      }, 5)
    : null;
  let reply: {
    status: Int16Array;
    latency: Float64Array;
    state: Uint8Array;
    seconds: number;
    exhausted: number;
  };
  try {
    reply = await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`open loop worker exited ${code}`)));
    });
  } finally {
    if (watch) clearInterval(watch);
    await worker.terminate();
  }
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  // Arrivals after the workload ran out are dropped too (the worker counts those before a stop).
  let dropped = reply.exhausted;
  items.forEach((item, i) => {
    if (reply.state[i] !== 1) {
      // Never sent (dropped, or after a stop): the workload's next step on the same contract
      // must not wait for it. A dropped step is used up, unlike in a loop that draws each request
      // when it is due, so the contract's later steps may be refused (only under overload, when
      // the goal has failed already).
      item.done(0);
      if (reply.state[i] === 2) dropped++;
      return;
    }
    const status = reply.status[i]!;
    item.done(status);
    latencies.push(reply.latency[i]!);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status < 200 || status >= 300) errors++;
  });
  return result(latencies.length, errors + dropped, statuses, reply.seconds, latencies, dropped);
}
