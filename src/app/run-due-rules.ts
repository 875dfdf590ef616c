/**
 * The sweep for the timed rules (R14, R18, R23): deadlines are rows, not timers. It finds what is
 * due up to `now`, oldest first, in bounded batches, and issues the same commands a user would,
 * each in its own transaction, as the system actor. Each command re-checks its state under the
 * contract lock, so an answer that came first, or another server's sweep, makes it a no-op.
 */
import type { Deps } from "./ports.js";
import { runUseCase } from "./run-command.js";
import { autoApproveMilestone } from "./use-cases/auto-approve-milestone.js";
import { autoApproveRefund } from "./use-cases/auto-approve-refund.js";

export interface DueRule {
  readonly kind: "milestone_auto_approval" | "refund_auto_approval";
  readonly id: string;
  readonly dueAt: number;
}

export interface DueRuleSource {
  /** Due rules at or before `now`, oldest first, at most `limit`, skipping `exclude`. */
  findDue(now: number, limit: number, exclude: ReadonlySet<string>): Promise<DueRule[]>;
}

export interface SweepResult {
  readonly fired: number;
  readonly skipped: number;
}

async function fire(deps: Deps, rule: DueRule, now: number) {
  // The command runs at the sweep's `now`: the history records when the money actually moved.
  const at = { ...deps, clock: { now: () => Promise.resolve(now) } };
  return runUseCase(at, (ctx) =>
    rule.kind === "milestone_auto_approval"
      ? autoApproveMilestone(ctx, rule.id)
      : autoApproveRefund(ctx, rule.id),
  );
}

/** Runs every rule due up to `now`, in due order, until none is left. */
export async function runDueRules(
  deps: Deps,
  source: DueRuleSource,
  now: number,
  batchSize = 200,
): Promise<SweepResult> {
  let fired = 0;
  let skipped = 0;
  // A rule whose command is refused (e.g. an open refund request holds the auto-approval) stays
  // due; remember it so one sweep does not spin on it.
  const refused = new Set<string>();
  for (;;) {
    const batch = await source.findDue(now, batchSize, refused);
    if (batch.length === 0) return { fired, skipped };
    for (const rule of batch) {
      const result = await fire(deps, rule, now);
      if (result.ok) fired++;
      else {
        skipped++;
        refused.add(rule.id);
      }
    }
  }
}
