/**
 * The sweep for the timed rules (R14, R18, R23): deadlines are rows, not timers. It finds what is
 * due up to `now`, oldest first, in bounded batches, and issues the same commands a user would,
 * through the same write pipeline, as the system actor, with an idempotency key derived from the
 * rule, its object and its due time. Each command re-checks its state under the contract lock, so
 * an answer that came first, or another server's sweep, leaves it nothing to do.
 */
import type { Deps } from "./ports.js";
import { runCommand } from "./run-command.js";
import { autoApproveMilestone } from "./use-cases/auto-approve-milestone.js";
import { autoApproveRefund } from "./use-cases/auto-approve-refund.js";
import { sendReminder } from "./use-cases/send-reminder.js";

export interface DueRule {
  readonly kind:
    "milestone_auto_approval" | "refund_auto_approval" | "milestone_reminder" | "refund_reminder";
  readonly id: string;
  readonly contractId: string;
  /** When the rule falls due. */
  readonly dueAt: number;
  /** The deadline of the automatic action (equal to `dueAt` for the action itself). */
  readonly deadline: number;
  /** For reminders: how many days before the deadline; 0 for the action itself. */
  readonly daysBefore: number;
}

export interface DueRuleSource {
  /** Due rules at or before `now`, oldest first, at most `limit`, skipping `exclude` (rule keys). */
  findDue(now: number, limit: number, exclude: ReadonlySet<string>): Promise<DueRule[]>;
}

export interface SweepResult {
  /** Automatic actions that ran (approvals of submissions and of refund requests). */
  readonly fired: number;
  /** Reminders sent before automatic actions. */
  readonly reminders: number;
  /** Rules refused by the state they found (answered meanwhile, or held by a refund request). */
  readonly skipped: number;
  /** Rules whose command failed unexpectedly; each stays due and is tried on the next sweep. */
  readonly errors?: readonly { rule: string; error: unknown }[];
}

export function ruleKeyOf(rule: DueRule): string {
  return `${rule.kind}:${rule.id}:${rule.deadline}:${rule.daysBefore}`;
}

type Fired = "done" | "refused" | "busy";

async function fire(deps: Deps, rule: DueRule, now: number): Promise<Fired> {
  // The command runs at the sweep's `now`: the history records when the money actually moved.
  const at = { ...deps, clock: { now: () => Promise.resolve(now) } };
  const outcome = await runCommand(at, {
    lockFirst: rule.contractId,
    background: true,
    idempotency: {
      userId: "system",
      endpoint: rule.kind,
      key: `${rule.id}@${rule.deadline}-${rule.daysBefore}d`,
      fingerprint: rule.kind,
      // A refused rule (an open refund request holds an approval) may run later: keep no answer.
      storeFailures: false,
    },
    execute: (ctx) => {
      switch (rule.kind) {
        case "milestone_auto_approval":
          return autoApproveMilestone(ctx, rule.id);
        case "refund_auto_approval":
          return autoApproveRefund(ctx, rule.id);
        case "milestone_reminder":
        case "refund_reminder":
          return sendReminder(ctx, rule.contractId, {
            kind: rule.kind === "milestone_reminder" ? "milestone" : "refund_request",
            id: rule.id,
            deadline: rule.deadline,
            daysBefore: rule.daysBefore,
          });
      }
    },
    respond: (result) => Promise.resolve({ status: result.ok ? 200 : 409, body: null }),
  });
  if (outcome.skipped) return "busy";
  return outcome.response.status === 200 ? "done" : "refused";
}

const BUSY_RETRY_MS = 10;
/**
 * Contracts whose due rules run at once. On PostgreSQL each holds a pool connection while it
 * runs, so a few; on SQLite they join the group commit as background work, which a request
 * waits behind for a few milliseconds at most, so more, to fill its commits.
 */
export const PARALLEL_CONTRACTS = { postgres: 16, sqlite: 64 } as const;
/** Due rules read at a time. */
const BATCH_SIZE = 200;

/** Runs `work` over `items` with at most `limit` at a time. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
const BUSY_RETRIES = 200;

/** Runs every rule due up to `now`, in due order, until none is left. */
export async function runDueRules(
  deps: Deps,
  source: DueRuleSource,
  now: number,
  parallel: number = PARALLEL_CONTRACTS.postgres,
): Promise<SweepResult> {
  let fired = 0;
  let reminders = 0;
  let skipped = 0;
  const errors: { rule: string; error: unknown }[] = [];
  // A rule whose command is refused stays due; remember it so one sweep does not spin on it.
  const refused = new Set<string>();
  // A rule whose contract another transaction holds (a user's command, another server's sweep)
  // is tried again after the others, so the sweep ends with everything due done.
  const busy = new Set<string>();
  for (let retries = 0; ;) {
    const batch = await source.findDue(now, BATCH_SIZE, new Set([...refused, ...busy]));
    if (batch.length === 0) {
      if (busy.size === 0 || ++retries > BUSY_RETRIES) return { fired, reminders, skipped, errors };
      busy.clear();
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
      continue;
    }
    // Contracts run side by side (their commands then share group commits); the rules of one
    // contract run one after the other, in due order.
    const byContract = new Map<string, DueRule[]>();
    for (const rule of batch)
      byContract.set(rule.contractId, [...(byContract.get(rule.contractId) ?? []), rule]);
    await inParallel([...byContract.values()], parallel, async (rules) => {
      for (const rule of rules) {
        let result: Fired;
        try {
          result = await fire(deps, rule, now);
        } catch (error) {
          // One failing rule must not stop the others; it is left for the next sweep.
          errors.push({ rule: ruleKeyOf(rule), error });
          refused.add(ruleKeyOf(rule));
          continue;
        }
        if (result === "done") {
          if (rule.daysBefore > 0) reminders++;
          else fired++;
        } else if (result === "busy") {
          busy.add(ruleKeyOf(rule));
        } else {
          skipped++;
          refused.add(ruleKeyOf(rule));
        }
      }
    });
  }
}
