/**
 * The load generator (undici, keep-alive): closed loop (N requests in flight) and open loop (a
 * fixed arrival rate; latency counted from each request's scheduled time, so a stalled server
 * cannot hide its queue). Every loop is bounded in time and in count; traffic only to 127.0.0.1.
 */
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
  next(): { request: Request; done: (status: number) => void; ready?: Promise<void> } | null;
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
 * Requests arrive at `rate` per second for `seconds`, whatever the answers; a request still
 * unsent because `maxInFlight` are outstanding counts as dropped (an error).
 */
export async function openLoop(
  targets: readonly Pool[],
  workload: Workload,
  rate: number,
  seconds: number,
  maxInFlight = 4000,
  stopWhen?: () => boolean,
): Promise<LoadResult> {
  const start = performance.now();
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let completed = 0;
  let errors = 0;
  let dropped = 0;
  let inFlight = 0;
  let sent = 0;
  const running: Promise<void>[] = [];
  const fire = (scheduled: number) => {
    const item = workload.next();
    if (!item) {
      dropped++;
      return;
    }
    inFlight++;
    const pool = targets[sent % targets.length]!;
    const p = (async () => {
      if (item.ready) await item.ready;
      let status = 0;
      try {
        status = await send(pool, item.request);
      } catch {
        status = 0;
      }
      item.done(status);
      latencies.push(performance.now() - scheduled);
      statuses[status] = (statuses[status] ?? 0) + 1;
      completed++;
      if (status < 200 || status >= 300) errors++;
      inFlight--;
    })();
    running.push(p);
  };
  for (;;) {
    const now = performance.now();
    if (now - start >= seconds * 1000 || (stopWhen?.() ?? false)) break;
    // Request k is due at start + k * interval (the first at once): fired as soon as the loop
    // sees its time, and timed from it.
    const due = Math.floor((now - start) / interval) + 1;
    while (sent < due) {
      const scheduled = start + sent * interval;
      sent++;
      if (inFlight >= maxInFlight) dropped++;
      else fire(scheduled);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const sentSeconds = (performance.now() - start) / 1000;
  await Promise.all(running);
  const r = result(completed, errors + dropped, statuses, sentSeconds, latencies, dropped);
  return r;
}
