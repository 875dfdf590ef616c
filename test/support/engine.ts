/**
 * A real engine on a real database for use-case and scenario tests: the SQL store, the sandbox
 * provider, a fake clock, and helpers to create users and run use cases.
 */
import type { Caller } from "../../src/domain/aggregate.js";
import type { Result } from "../../src/domain/result.js";
import type { CommandContext, Deps, User } from "../../src/app/ports.js";
import { runDueRules } from "../../src/app/run-due-rules.js";
import { runUseCase } from "../../src/app/run-command.js";
import { addPaymentMethod } from "../../src/app/use-cases/add-payment-method.js";
import { UlidGenerator } from "../../src/infra/ids.js";
import { SandboxPaymentProvider } from "../../src/payments/sandbox.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { SqlDueRules } from "../../src/storage/due-rules.js";
import { SqlStore } from "../../src/storage/sql-store.js";
import { insertUser } from "../../src/storage/users.js";
import { verifyLedger } from "../../src/storage/verify-ledger.js";
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from "./dialects.js";
import { FakeClock } from "./fake-clock.js";

export interface TestEngine {
  readonly deps: Deps;
  readonly clock: FakeClock;
  readonly database: TestDatabase;
  run<T>(fn: (ctx: CommandContext) => Promise<Result<T>>): Promise<Result<T>>;
  /** Runs `fn` and fails the test if the rules refused it. */
  must<T>(fn: (ctx: CommandContext) => Promise<Result<T>>): Promise<T>;
  user(name: string, options?: { card?: string | null; staff?: boolean }): Promise<Caller & User>;
  sweep(): Promise<{ fired: number; reminders: number; skipped: number }>;
  violations(): Promise<unknown[]>;
  close(): Promise<void>;
}

export interface EngineOptions extends TestDatabaseOptions {
  readonly reviewWindowDays?: number;
  readonly refundWindowDays?: number;
}

export async function createTestEngine(
  dialect: Dialect = "sqlite",
  options: EngineOptions = {},
): Promise<TestEngine> {
  const database = await createTestDatabase(dialect, true, options);
  const clock = new FakeClock();
  const ids = new UlidGenerator();
  const deps: Deps = {
    store: new SqlStore(database.handle),
    clock,
    ids,
    payments: new SandboxPaymentProvider(),
    settings: {
      reviewWindowDays: options.reviewWindowDays ?? 14,
      refundWindowDays: options.refundWindowDays ?? 7,
    },
  };
  const run = <T>(fn: (ctx: CommandContext) => Promise<Result<T>>) => runUseCase(deps, fn);
  const engine: TestEngine = {
    deps,
    clock,
    database,
    run,
    async must(fn) {
      const result = await run(fn);
      if (!result.ok) throw new Error(`refused: ${result.code}: ${result.message}`);
      return result.value;
    },
    async user(name, opts = {}) {
      const user = await insertUser(database.handle.db, {
        id: ids.next("usr"),
        email: `${name.toLowerCase()}.${ids.next("e").slice(-6).toLowerCase()}@example.test`,
        name,
        passwordHash: "!",
        isStaff: opts.staff ?? false,
        createdAt: clock.current,
      });
      if (!user) throw new Error("email taken");
      const card = opts.card === undefined ? "tok_visa" : opts.card;
      if (card) await engine.must((ctx) => addPaymentMethod(ctx, user.id, card));
      return { ...user, userId: user.id };
    },
    sweep: async () => runDueRules(deps, new SqlDueRules(database.handle.db), clock.current),
    violations: () => verifyLedger(database.handle.db),
    close: () => database.drop(),
  };
  return engine;
}
