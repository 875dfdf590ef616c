/**
 * Runs the timed rules inside the server (or in the `worker` process): a sweep at start, which
 * catches up on everything that fell due while no server was running, then one every interval.
 * Sweeps never overlap within a process; across processes the commands' row locks and state
 * re-checks keep every rule to exactly one effect.
 */
import type { Logger } from "pino";
import type { Deps } from "../app/ports.js";
import { runDueRules, type DueRuleSource, type SweepResult } from "../app/run-due-rules.js";

export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: Deps,
    private readonly source: DueRuleSource,
    private readonly intervalMs: number,
    private readonly log: Pick<Logger, "info" | "error">,
    /** Work that rides along with each sweep (purging expired records). */
    private readonly housekeeping: (now: number) => Promise<void> = () => Promise.resolve(),
    /** Contracts swept at once (runDueRules' default when not given). */
    private readonly parallel?: number,
  ) {}

  /** One sweep up to the clock's now; queued behind any sweep already running. */
  sweepNow(): Promise<SweepResult> {
    const next = this.running.then(async () => {
      const now = await this.deps.clock.now();
      const result = await runDueRules(this.deps, this.source, now, this.parallel);
      if (result.fired > 0 || result.reminders > 0)
        this.log.info({ ...result, at: new Date(now).toISOString() }, "timed rules ran");
      for (const failure of result.errors ?? [])
        this.log.error({ err: failure.error, rule: failure.rule }, "a timed rule failed");
      await this.housekeeping(now);
      return result;
    });
    this.running = next.catch(() => undefined);
    return next;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.sweepNow()
        .catch((error: unknown) => this.log.error({ err: error }, "sweep failed"))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
