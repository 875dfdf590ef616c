/**
 * The notification dispatcher: after commit, fans the outbox out to notifications and
 * deliveries, then sends the deliveries that are due (emails, signed webhook calls), at least
 * once, retrying with growing delays for at least 3 days. Runs in the server beside the sweep and
 * in `escrow worker`; passes never overlap within a process, and across processes the row locks
 * and leases of NotificationStore keep each delivery to one sender at a time.
 */
import type { Logger } from "pino";
import type { Clock } from "../app/ports.js";
import type {
  ClaimedDelivery,
  DeliveryOutcome,
  NotificationStore,
} from "../storage/notifications.js";
import type { WebhookSender } from "../webhooks/sender.js";
import type { Email } from "./catalog.js";
import { planFanOut } from "./fan-out.js";
import type { Mailer } from "./mailer.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Delay after the n-th failed attempt (then 24 h each), on the server's clock. */
export const RETRY_DELAYS_MS = [
  MINUTE,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
];
/** A delivery still failing this long after it was created is given up (status `failed`). */
export const GIVE_UP_AFTER_MS = 3 * DAY;
/** How long a claimed delivery is held; a server that dies mid-call loses it after this. */
export const LEASE_MS = 2 * MINUTE;

export function retryDelay(attempts: number): number {
  return RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1] ?? DAY;
}

export interface DispatcherOptions {
  readonly intervalMs: number;
  readonly publicUrl: string;
  readonly batchSize?: number;
}

export interface DispatchResult {
  fannedOut: number;
  delivered: number;
  retrying: number;
  failed: number;
}

export class Dispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private abort = new AbortController();

  constructor(
    private readonly store: NotificationStore,
    private readonly clock: Clock,
    private readonly mailer: Mailer,
    private readonly webhooks: WebhookSender,
    private readonly options: DispatcherOptions,
    private readonly log: Pick<Logger, "info" | "warn" | "error">,
  ) {}

  private get batch(): number {
    return this.options.batchSize ?? 50;
  }

  /** Fans out whatever is in the outbox (in-app notifications appear at once). */
  async fanOutNow(): Promise<number> {
    let total = 0;
    while (await this.store.hasOutbox()) {
      const now = await this.clock.now();
      const taken = await this.store.fanOut(this.store.fanOutBatch, now, (input) =>
        planFanOut(input, this.options.publicUrl),
      );
      total += taken;
      // Another server holds the rest of the rows; it fans them out.
      if (taken === 0) break;
    }
    return total;
  }

  /** One full pass: fan out, then send everything due; queued behind a pass already running. */
  runOnce(): Promise<DispatchResult> {
    const next = this.running.then(() => this.pass());
    this.running = next.catch(() => undefined);
    return next;
  }

  private async pass(): Promise<DispatchResult> {
    const result: DispatchResult = { fannedOut: 0, delivered: 0, retrying: 0, failed: 0 };
    result.fannedOut = await this.fanOutNow();
    for (let round = 0; round < 100 && !this.stopped; round++) {
      const now = await this.clock.now();
      const claimed = await this.store.claimDue(now, LEASE_MS, this.batch);
      const outcomes = await Promise.all(claimed.map((d) => this.deliver(d)));
      for (const outcome of outcomes) {
        if (outcome === "delivered") result.delivered++;
        else if (outcome === "retry") result.retrying++;
        else if (outcome === "failed") result.failed++;
      }
      if (claimed.length < this.batch) break;
    }
    if (result.delivered + result.retrying + result.failed > 0)
      this.log.info(result, "notifications dispatched");
    return result;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<DeliveryOutcome["kind"]> {
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.attempt(delivery);
    } catch (error) {
      outcome = await this.failure(delivery, null, (error as Error).message || String(error));
    }
    try {
      await this.store.finish(delivery, outcome, await this.clock.now());
    } catch (error) {
      // The lease runs out and the delivery is tried again: at least once.
      this.log.error({ err: error, deliveryId: delivery.id }, "could not record a delivery");
    }
    return outcome.kind;
  }

  private async attempt(delivery: ClaimedDelivery): Promise<DeliveryOutcome> {
    const signal = this.abort.signal;
    if (delivery.channel === "email") {
      await this.mailer.send(JSON.parse(delivery.payload) as Email);
      return { kind: "delivered", statusCode: null };
    }
    if (!delivery.endpoint) return { kind: "cancelled", error: "the endpoint was deleted" };
    const answer = await this.webhooks.send(
      {
        url: delivery.endpoint.url,
        secret: delivery.endpoint.secret,
        body: delivery.payload,
        eventId: delivery.eventId,
      },
      signal,
    );
    if (signal.aborted) return { kind: "released" };
    if (answer.ok) return { kind: "delivered", statusCode: answer.statusCode };
    return this.failure(delivery, answer.statusCode, answer.error);
  }

  private async failure(
    delivery: ClaimedDelivery,
    statusCode: number | null,
    error: string,
  ): Promise<DeliveryOutcome> {
    if (this.abort.signal.aborted) return { kind: "released" };
    const now = await this.clock.now();
    this.log.warn(
      { deliveryId: delivery.id, channel: delivery.channel, attempts: delivery.attempts, error },
      "delivery failed",
    );
    if (now - delivery.createdAt >= GIVE_UP_AFTER_MS) return { kind: "failed", statusCode, error };
    return { kind: "retry", nextAttemptAt: now + retryDelay(delivery.attempts), statusCode, error };
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.runOnce()
        .catch((error: unknown) => this.log.error({ err: error }, "dispatch failed"))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    tick();
  }

  /** Stops: calls in flight are cut and their deliveries released for the next server. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
    this.mailer.close();
  }
}
