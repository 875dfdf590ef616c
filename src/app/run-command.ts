/**
 * The one write pipeline (R24): a transaction, the idempotency record, the command in a
 * savepoint (so a failed command leaves only its stored answer), the state change, ledger entry
 * and events, committed together.
 *
 * The savepoint shape is what lets a store run several commands in one durable commit (group
 * commit): each command's writes stand or fall alone inside the shared transaction.
 */
import type { Result } from "../domain/result.js";
import { fail } from "../domain/result.js";
import type { CommandContext, Deps, IdempotencyScope, StoredResponse, Tx } from "./ports.js";

/** How long a key's first answer is kept and replayed (API.md: 24 hours). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface Idempotency extends IdempotencyScope {
  /** A digest of the request; a different request under the same key is refused. */
  readonly fingerprint: string;
  /** Whether a refused command's answer is kept for replays (default: yes, as API.md says). */
  readonly storeFailures?: boolean;
}

export interface CommandSpec<T> {
  readonly idempotency?: Idempotency | undefined;
  /**
   * A contract to lock first, without waiting; if another transaction holds it the command is
   * not run and the outcome is `skipped` (the sweep tries again on its next pass).
   */
  readonly lockFirst?: string | undefined;
  /** Work no one is waiting on (the sweep): it yields to interactive commands. */
  readonly background?: boolean;
  readonly execute: (ctx: CommandContext) => Promise<Result<T>>;
  /** Turns the outcome into the answer that is stored for replays; runs in the transaction. */
  readonly respond: (result: Result<T>, tx: Tx, now: number) => Promise<StoredResponse>;
}

export interface CommandOutcome {
  readonly response: StoredResponse;
  readonly replayed: boolean;
  readonly skipped?: boolean;
}

export async function runCommand<T>(deps: Deps, spec: CommandSpec<T>): Promise<CommandOutcome> {
  const now = await deps.clock.now();
  const { idempotency } = spec;
  // Made once, outside the transaction: a retried transaction (deadlock, serialization failure)
  // calls the payment provider again with the same key, so the provider cannot charge twice.
  const commandKey = idempotency
    ? `${idempotency.userId}:${idempotency.endpoint}:${idempotency.key}`
    : deps.ids.next("cmd");
  return deps.store.write(
    async (tx) => {
      if (spec.lockFirst !== undefined && !(await tx.tryLockContract(spec.lockFirst))) {
        return { response: { status: 409, body: null }, replayed: false, skipped: true };
      }
      if (idempotency) {
        const existing = await tx.claimIdempotencyKey(
          idempotency,
          idempotency.fingerprint,
          now,
          now - IDEMPOTENCY_RETENTION_MS,
        );
        if (existing) return replay(spec, tx, now, idempotency, existing);
      }
      const ctx: CommandContext = { tx, now, deps, commandKey };
      const result = await tx.savepoint(() => spec.execute(ctx));
      const response = await spec.respond(result, tx, now);
      if (idempotency) {
        // A request refused for its shape is not stored, so the client can fix and resend it.
        const stored =
          result.ok || (result.code !== "validation_failed" && idempotency.storeFailures !== false);
        await (stored
          ? tx.saveIdempotentResponse(idempotency, response)
          : tx.releaseIdempotencyKey(idempotency));
      }
      return { response, replayed: false };
    },
    spec.background ? { background: "rules" } : {},
  );
}

async function replay<T>(
  spec: CommandSpec<T>,
  tx: Tx,
  now: number,
  idempotency: Idempotency,
  existing: { fingerprint: string; response: StoredResponse | null },
): Promise<CommandOutcome> {
  if (existing.fingerprint !== idempotency.fingerprint || existing.response === null) {
    const refused = fail(
      "idempotency_key_reused",
      "this Idempotency-Key was already used for a different request",
    );
    return { response: await spec.respond(refused, tx, now), replayed: false };
  }
  return { response: existing.response, replayed: true };
}

/** Runs a use case without an idempotency key; for the CLI, the scheduler and tests. */
export async function runUseCase<T>(
  deps: Deps,
  execute: (ctx: CommandContext) => Promise<Result<T>>,
): Promise<Result<T>> {
  const now = await deps.clock.now();
  const commandKey = deps.ids.next("cmd");
  return deps.store.write(async (tx) => {
    const ctx: CommandContext = { tx, now, deps, commandKey };
    return tx.savepoint(() => execute(ctx));
  });
}
