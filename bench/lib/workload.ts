/**
 * The mixed lifecycle workload: on each seeded contract, in order, approve the funded milestone
 * (escrow -> freelancer) and fund the next (client -> escrow), each an authenticated POST with an
 * Idempotency-Key that writes a ledger entry, events and the idempotency record. Contracts are
 * taken round-robin, so about half the requests are approvals and half fundings at any moment,
 * and a contract's next step waits for its previous answer.
 */
import type { Request, Workload } from "./load.js";
import { derive, pairOf, type CloneSet } from "./seed.js";

export type Action = "approve" | "fund";
export const STEPS: readonly (readonly [Action, number])[] = [
  ["approve", 0],
  ["fund", 1],
  ["approve", 1],
  ["fund", 2],
  ["approve", 2],
  ["fund", 3],
  ["approve", 3],
];

export interface Slot {
  readonly set: CloneSet;
  readonly k: number;
  /** Index into STEPS of this contract's first step. */
  readonly first: number;
}

/** Interleaves copies of the "active" and "active, first milestone paid" templates. */
export function slots(active: CloneSet, m1Paid: CloneSet): Slot[] {
  const out: Slot[] = [];
  const n = Math.max(active.count, m1Paid.count);
  for (let k = 0; k < n; k++) {
    if (k < active.count) out.push({ set: active, k, first: 0 });
    if (k < m1Paid.count) out.push({ set: m1Paid, k, first: 1 });
  }
  return out;
}

export interface Acknowledged {
  readonly milestoneId: string;
  readonly action: Action;
  readonly key: string;
  readonly userId: string;
}

export function lifecycleRequest(slot: Slot, step: number, key: string): Request {
  const [action, index] = STEPS[step]!;
  const milestone = derive(slot.set.template.milestones[index]!, slot.k);
  const client = pairOf(slot.set, slot.k).client;
  const headers: Record<string, string> = {
    authorization: `Bearer ${client.token}`,
    "idempotency-key": key,
  };
  if (action === "approve") headers["content-type"] = "application/json";
  return {
    method: "POST",
    path: `/v1/milestones/${milestone}/${action}`,
    headers,
    ...(action === "approve" ? { body: "{}" } : {}),
  };
}

/** Round-robin over the slots, one step per contract per round, until every step is used. */
export class LifecycleStream implements Workload {
  private round = 0;
  private index = 0;
  private readonly pending = new Map<number, Promise<void>>();
  readonly acknowledged: Acknowledged[] = [];
  recordAcks = false;

  constructor(
    private readonly all: readonly Slot[],
    private readonly tag: string,
  ) {}

  /** Requests left. */
  remaining(): number {
    let left = 0;
    for (let i = 0; i < this.all.length; i++) {
      const steps = STEPS.length - this.all[i]!.first;
      left += Math.max(0, steps - this.round - (i < this.index ? 1 : 0));
    }
    return left;
  }

  next() {
    for (let guard = 0; guard < this.all.length * 2; guard++) {
      if (this.index >= this.all.length) {
        this.index = 0;
        this.round++;
        if (this.round >= STEPS.length) return null;
      }
      const i = this.index++;
      const slot = this.all[i]!;
      const step = slot.first + this.round;
      if (step >= STEPS.length) continue;
      const key = `bk-${this.tag}-${i}-${step}`;
      const request = lifecycleRequest(slot, step, key);
      const previous = this.pending.get(i);
      let release!: () => void;
      const finished = new Promise<void>((resolve) => (release = resolve));
      this.pending.set(i, finished);
      const [action, index] = STEPS[step]!;
      return {
        request,
        ...(previous ? { ready: previous } : {}),
        chain: i,
        done: (status: number) => {
          if (this.recordAcks && status === 200) {
            this.acknowledged.push({
              milestoneId: derive(slot.set.template.milestones[index]!, slot.k),
              action,
              key,
              userId: pairOf(slot.set, slot.k).client.id,
            });
          }
          release();
        },
      };
    }
    return null;
  }
}

/**
 * The same requests, on the canned-reply baseline's routes (bench/lib/canned-server.ts):
 * approvals and fundings round-robin without end, since nothing changes state there.
 */
export class CannedStream implements Workload {
  private i = 0;
  constructor(private readonly all: readonly Slot[]) {}

  next() {
    const slot = this.all[this.i++ % this.all.length]!;
    const request = lifecycleRequest(slot, slot.first, `bk-canned-${this.i}`);
    return {
      request: { ...request, path: request.path.replace("/v1/", "/bench/canned/") },
      done: () => undefined,
    };
  }
}
