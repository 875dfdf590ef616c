/**
 * `escrow demo`: plays one whole contract on a fresh database, driven by the test clock through
 * the same use cases and sweep the server runs, and prints the timeline and balances.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Caller } from "../domain/aggregate.js";
import type { Result } from "../domain/result.js";
import type { CommandContext, Deps } from "../app/ports.js";
import { runUseCase } from "../app/run-command.js";
import { runDueRules } from "../app/run-due-rules.js";
import { acceptOffer } from "../app/use-cases/accept-offer.js";
import { addPaymentMethod } from "../app/use-cases/add-payment-method.js";
import { approveMilestone } from "../app/use-cases/approve-milestone.js";
import { disputeRefund } from "../app/use-cases/dispute-refund.js";
import { endContract } from "../app/use-cases/end-contract.js";
import { fundMilestone } from "../app/use-cases/fund-milestone.js";
import { makeOffer } from "../app/use-cases/make-offer.js";
import { requestChanges } from "../app/use-cases/request-changes.js";
import { requestRefund } from "../app/use-cases/request-refund.js";
import { resolveDispute } from "../app/use-cases/resolve-dispute.js";
import { submitWork } from "../app/use-cases/submit-work.js";
import { UlidGenerator } from "../infra/ids.js";
import { SandboxPaymentProvider } from "../payments/sandbox.js";
import { openSqlite } from "../storage/database.js";
import { SqlDueRules } from "../storage/due-rules.js";
import { migrateToLatest } from "../storage/migrate.js";
import { SqlStore } from "../storage/sql-store.js";
import { DatabaseTestClock } from "../storage/test-clock.js";
import { insertUser } from "../storage/users.js";
import { verifyLedger } from "../storage/verify-ledger.js";

const DAY_SECONDS = 24 * 60 * 60;

export async function runDemo(print: (line: string) => void = console.log): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "escrow-demo-"));
  const handle = openSqlite({ file: path.join(dir, "escrow.sqlite") });
  try {
    await migrateToLatest(handle);
    const { db } = handle;
    const clock = new DatabaseTestClock(db, () => Date.parse("2026-03-02T09:00:00.000Z"));
    const ids = new UlidGenerator();
    const deps: Deps = {
      store: new SqlStore(handle),
      clock,
      ids,
      payments: new SandboxPaymentProvider(),
      settings: { reviewWindowDays: 14, refundWindowDays: 7 },
    };
    const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
    const usd = (minor: number) => money.format(minor / 100);
    const start = await clock.now();
    let day = 0;

    async function step<T>(
      label: string,
      fn: (ctx: CommandContext) => Promise<Result<T>>,
      before: (value: T) => void = () => undefined,
    ): Promise<T> {
      const result = await runUseCase(deps, fn);
      if (!result.ok) throw new Error(`${label} was refused: ${result.code}: ${result.message}`);
      before(result.value);
      await report(label);
      return result.value;
    }
    async function toDay(target: number) {
      await clock.advance((target - day) * DAY_SECONDS);
      day = target;
      const swept = await runDueRules(deps, new SqlDueRules(db), await clock.now());
      if (swept.fired > 0) await report(`the timed rules ran (${swept.fired})`);
    }
    async function balanceOf(account: string) {
      const row = await db
        .selectFrom("postings")
        .select((eb) => eb.fn.sum<number>("amount").as("total"))
        .where("account", "=", account)
        .executeTakeFirst();
      return Number(row?.total ?? 0);
    }
    let contractId = "";
    let clientId = "";
    let freelancerId = "";
    async function report(label: string) {
      const [escrow, paidIn, earned] = await Promise.all([
        contractId ? balanceOf(`escrow:${contractId}`) : 0,
        balanceOf(`payment_source:${clientId}`),
        balanceOf(`earnings:${freelancerId}`),
      ]);
      const when = `day ${String(day).padStart(2)}`;
      print(
        `${when}  ${label.padEnd(58)} escrow ${usd(escrow).padStart(10)}  client paid ${usd(0 - paidIn || 0).padStart(10)}  freelancer earned ${usd(earned).padStart(10)}`,
      );
    }
    const person = async (name: string, staff = false): Promise<Caller> => {
      const user = await insertUser(db, {
        id: ids.next("usr"),
        email: `${name.toLowerCase()}@example.com`,
        name,
        passwordHash: "!",
        isStaff: staff,
        createdAt: start,
      });
      return { userId: user!.id, isStaff: staff };
    };

    print("Escrow demo: one fixed-price contract from offer to dispute, on a fresh database\n");
    const carol = await person("Carol");
    const frank = await person("Frank");
    const staff = await person("Sam", true);
    clientId = carol.userId;
    freelancerId = frank.userId;
    await step("Carol adds a card (tok_visa)", (ctx) =>
      addPaymentMethod(ctx, carol.userId, "tok_visa"),
    );
    await step(
      "Carol offers 3 milestones; Design is charged to escrow",
      (ctx) =>
        makeOffer(ctx, carol, {
          freelancerEmail: "frank@example.com",
          title: "Company website",
          currency: "USD",
          milestones: [
            { title: "Design", amount: 120_000 },
            { title: "Build", amount: 300_000 },
            { title: "Launch", amount: 80_000 },
          ],
        }),
      (offer) => (contractId = offer.contractId),
    );
    const milestones = await db
      .selectFrom("milestones")
      .select("id")
      .where("contract_id", "=", contractId)
      .orderBy("position")
      .execute();
    const [design, build, launch] = milestones.map((m) => m.id) as [string, string, string];
    await toDay(1);
    await step("Frank accepts: the contract is active", (ctx) =>
      acceptOffer(ctx, frank, contractId),
    );
    await toDay(5);
    await step("Frank submits Design", (ctx) =>
      submitWork(ctx, frank, design, { message: "Mock-ups attached" }),
    );
    await toDay(6);
    await step("Carol requests changes: the 14-day clock stops", (ctx) =>
      requestChanges(ctx, carol, design, "Larger logo"),
    );
    await toDay(8);
    await step("Frank submits Design again: a new 14-day clock", (ctx) =>
      submitWork(ctx, frank, design, { message: "v2" }),
    );
    await toDay(9);
    await step("Carol approves $1,000.00 of $1,200.00", (ctx) =>
      approveMilestone(ctx, carol, design, 100_000),
    );
    await step("Carol funds Build: $200.00 unallocated + $2,800.00 charged", (ctx) =>
      fundMilestone(ctx, carol, build),
    );
    await toDay(20);
    await step("Frank submits Build", (ctx) =>
      submitWork(ctx, frank, build, { message: "Deployed to staging" }),
    );
    print("        (Carol stays silent for 14 days)");
    await toDay(34);
    await step("Carol funds Launch", (ctx) => fundMilestone(ctx, carol, launch));
    await toDay(36);
    await step("Carol ends the contract: $800.00 stays in escrow", (ctx) =>
      endContract(ctx, carol, contractId, "Launch postponed"),
    );
    const refund = await step("Carol requests an escrow refund (7 days to answer)", (ctx) =>
      requestRefund(ctx, carol, contractId, "Launch never started"),
    );
    await toDay(38);
    const disputed = await step("Frank disputes: the money stays frozen", (ctx) =>
      disputeRefund(ctx, frank, refund.refundRequests[0]!.id, "Launch checklist was delivered"),
    );
    await toDay(40);
    await step("Staff split: $300.00 refunded, $500.00 released", (ctx) =>
      resolveDispute(ctx, staff, disputed.disputes[0]!.id, {
        refundAmount: 30_000,
        releaseAmount: 50_000,
        reason: "Checklist delivered, launch not done",
      }),
    );

    print("\nHistory (R22):");
    const events = await db
      .selectFrom("events")
      .selectAll()
      .where("contract_id", "=", contractId)
      .orderBy("id")
      .execute();
    for (const e of events) {
      const d = Math.round((e.created_at - start) / (DAY_SECONDS * 1000));
      print(`  day ${String(d).padStart(2)}  ${e.type.padEnd(30)} by ${e.actor_kind}`);
    }
    const paidIn = -(await balanceOf(`payment_source:${clientId}`));
    const earned = await balanceOf(`earnings:${freelancerId}`);
    const escrow = await balanceOf(`escrow:${contractId}`);
    const violations = await verifyLedger(db);
    print(
      `\nClient paid ${usd(paidIn)} = freelancer earned ${usd(earned)} + escrow ${usd(escrow)}: ${paidIn === earned + escrow ? "balanced" : "NOT BALANCED"}`,
    );
    print(
      `Ledger check: ${violations.length === 0 ? "every entry balances, no escrow ever negative" : JSON.stringify(violations)}`,
    );
    return violations.length === 0 && paidIn === earned + escrow;
  } finally {
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
