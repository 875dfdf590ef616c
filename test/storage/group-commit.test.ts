/** Group commit on SQLite: commands that arrive together share one durable commit. */
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { approveMilestone } from "../../src/app/use-cases/approve-milestone.js";
import { runUseCase } from "../../src/app/run-command.js";
import type { SqlStore } from "../../src/storage/sql-store.js";
import { createTestEngine, type TestEngine } from "../support/engine.js";
import { contractWith, parties } from "../scenarios/calendar.js";

/** Commands that note, in order, that they ran. */
function recorder() {
  const order: string[] = [];
  const record = (name: string) => (_tx: unknown) => {
    order.push(name);
    return Promise.resolve(name);
  };
  return { order, record };
}

describe("group commit (sqlite)", () => {
  let engine: TestEngine;
  beforeEach(async () => {
    engine = await createTestEngine("sqlite");
  });
  afterEach(() => engine.close());

  it("R4, R24: concurrent commands share commits; each is answered with its own outcome", async () => {
    const people = await parties(engine);
    const contracts = await Promise.all(
      Array.from({ length: 30 }, () => contractWith(engine, people, [1_000])),
    );
    const store = engine.deps.store as SqlStore;
    const before = { ...store.groupCommit!.stats };
    // Every milestone approved twice at once: exactly one of each pair is carried out.
    const results = await Promise.all(
      contracts.flatMap(({ ids }) =>
        [0, 1].map(() =>
          runUseCase(engine.deps, (ctx) => approveMilestone(ctx, people.client, ids[0]!)),
        ),
      ),
    );
    const commits = store.groupCommit!.stats.commits - before.commits;
    const commands = store.groupCommit!.stats.commands - before.commands;
    expect(commands).toBe(60);
    expect(commits).toBeLessThan(commands);
    expect(results.filter((r) => r.ok)).toHaveLength(30);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.code)).toEqual(
      Array(30).fill("invalid_state"),
    );
    expect(await engine.violations()).toEqual([]);
  });

  it("R4: a command that fails inside a shared commit leaves no trace; the others commit", async () => {
    const store = engine.deps.store as SqlStore;
    const db = engine.database.handle.db;
    const insert = (id: string) => (tx: unknown) =>
      (tx as { db: typeof db }).db
        .insertInto("rate_limits")
        .values({ key: id, window_start: 0, count: 1 })
        .execute();
    const outcomes = await Promise.allSettled([
      store.write(async (tx) => insert("a")(tx)),
      store.write(async (tx) => {
        await insert("b")(tx);
        throw new Error("boom");
      }),
      store.write(async (tx) => insert("c")(tx)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const keys = (await db.selectFrom("rate_limits").select("key").orderBy("key").execute()).map(
      (r) => r.key,
    );
    expect(keys).toEqual(["a", "c"]);
  });

  it("R24: a command's savepoint journal stays in memory, however much it rewrites, and still rolls back", async () => {
    const store = engine.deps.store as SqlStore;
    type Db = typeof engine.database.handle.db;
    const dbOf = (tx: unknown) => (tx as { db: Db }).db;
    // About 400 KiB of rows, committed first, so that rewriting them changes existing pages.
    const rows = Array.from({ length: 400 }, (_, i) => ({
      key: `${String(i).padStart(4, "0")}${"x".repeat(1_000)}`,
      window_start: 0,
      count: 1,
    }));
    await store.write(async (tx) => {
      for (let i = 0; i < rows.length; i += 50)
        await dbOf(tx)
          .insertInto("rate_limits")
          .values(rows.slice(i, i + 50))
          .execute();
    });
    // SQLite's temporary files are unlinked as soon as they are opened: seen only as descriptors.
    const tempFiles = () =>
      fs
        .readdirSync("/proc/self/fd")
        .map((fd) => {
          try {
            return fs.readlinkSync(`/proc/self/fd/${fd}`);
          } catch {
            return "";
          }
        })
        .filter((target) => target.includes("etilqs_"));
    let seen: string[] = ["not run"];
    const failed = store.write(async (tx) => {
      await dbOf(tx).updateTable("rate_limits").set({ count: 2 }).execute();
      seen = tempFiles();
      throw new Error("refused after rewriting every row");
    });
    await expect(failed).rejects.toThrow(/refused after rewriting/);
    // A savepoint journal past 64 KiB would spill to a temporary file (one write per page).
    expect(seen).toEqual([]);
    const counts = await engine.database.handle.db
      .selectFrom("rate_limits")
      .select(({ fn }) => [fn.countAll<number>().as("rows"), fn.sum<number>("count").as("total")])
      .executeTakeFirstOrThrow();
    expect(counts).toEqual({ rows: 400, total: 400 });
  });

  it("R14, R24: the sweep's background commands yield to a request someone waits on", async () => {
    const store = engine.deps.store as SqlStore;
    const { order, record } = recorder();
    const background = Array.from({ length: 40 }, (_, i) =>
      store.write(record(`bg${i}`), { background: "rules" }),
    );
    const interactive = store.write(record("request"));
    await Promise.all([...background, interactive]);
    expect(order).toHaveLength(41);
    // It was queued after 40 background commands yet runs in the first batch, ahead of them.
    expect(order.indexOf("request")).toBe(0);
    // Background commands still run in the order they came.
    expect(order.filter((n) => n !== "request")).toEqual(background.map((_, i) => `bg${i}`));
  });

  it("R24: a request that arrives while background work runs joins the commit in progress, which then ends", async () => {
    const store = engine.deps.store as SqlStore;
    const stats = store.groupCommit!.stats;
    // However slow this machine is at the moment, the batch does not run out of time first.
    store.groupCommit!.backgroundBudgetMs = 60_000;
    // Each command notes the commits made before it ran: one number means one shared commit.
    const seen: { name: string; commitsBefore: number }[] = [];
    let request: Promise<unknown> | undefined;
    const background = Array.from({ length: 5 }, (_, i) =>
      store.write(
        () => {
          seen.push({ name: `bg${i}`, commitsBefore: stats.commits });
          // A request arrives on the next turn of the event loop, while bg1-bg4 are queued.
          if (i === 0)
            setImmediate(() => {
              request = store.write(() => {
                seen.push({ name: "request", commitsBefore: stats.commits });
                return Promise.resolve();
              });
            });
          return Promise.resolve();
        },
        { background: "rules" },
      ),
    );
    await Promise.all(background);
    await request;
    // It runs next, and its commit ends there: the rest of the background work goes on after.
    expect(seen.map((s) => s.name)).toEqual(["bg0", "request", "bg1", "bg2", "bg3", "bg4"]);
    expect(seen[1]!.commitsBefore).toBe(seen[0]!.commitsBefore);
    expect(seen[2]!.commitsBefore).toBe(seen[0]!.commitsBefore + 1);
  });

  it("R24: a batch of requests leaves young background work to the next commit, and takes it once it has waited", async () => {
    const store = engine.deps.store as SqlStore;
    const groupCommit = store.groupCommit!;
    const stats = groupCommit.stats;
    const seen: { name: string; commitsBefore: number }[] = [];
    const note = (name: string) => () => {
      seen.push({ name, commitsBefore: stats.commits });
      return Promise.resolve();
    };
    // Queued together: the requests commit first, on their own; the background work right after.
    groupCommit.backgroundMaxWaitMs = 60_000;
    await Promise.all([
      store.write(note("bg"), { background: "notifications" }),
      store.write(note("request1")),
      store.write(note("request2")),
    ]);
    expect(seen.map((s) => s.name)).toEqual(["request1", "request2", "bg"]);
    expect(seen[1]!.commitsBefore).toBe(seen[0]!.commitsBefore);
    expect(seen[2]!.commitsBefore).toBe(seen[0]!.commitsBefore + 1);
    // Background work that has waited long enough shares the requests' commit.
    seen.length = 0;
    groupCommit.backgroundMaxWaitMs = 0;
    await Promise.all([
      store.write(note("bg"), { background: "notifications" }),
      store.write(note("request1")),
    ]);
    expect(seen.map((s) => s.name)).toEqual(["request1", "bg"]);
    expect(seen[1]!.commitsBefore).toBe(seen[0]!.commitsBefore);
  });

  it("R14: notification work waits while timed rules are queued, then runs in the order it came", async () => {
    const store = engine.deps.store as SqlStore;
    const { order, record } = recorder();
    const notifications = Array.from({ length: 5 }, (_, i) =>
      store.write(record(`n${i}`), { background: "notifications" }),
    );
    const rules = Array.from({ length: 30 }, (_, i) =>
      store.write(record(`r${i}`), { background: "rules" }),
    );
    const request = store.write(record("request"));
    await Promise.all([...notifications, ...rules, request]);
    expect(order).toEqual([
      "request",
      ...rules.map((_, i) => `r${i}`),
      ...notifications.map((_, i) => `n${i}`),
    ]);
  });

  it("R14, R24: background commands fill a commit while it is young, then wait for the next one", async () => {
    const store = engine.deps.store as SqlStore;
    const stats = store.groupCommit!.stats;
    // Quick background commands share one commit (the sweep drains in large commits)...
    let before = { ...stats };
    await Promise.all(
      Array.from({ length: 40 }, () =>
        store.write(() => Promise.resolve(), { background: "rules" }),
      ),
    );
    expect(stats.commands - before.commands).toBe(40);
    expect(stats.commits - before.commits).toBe(1);
    // ...while slow ones (2 ms each, a large fan-out say) are spread over commits of a few
    // milliseconds, so a request that arrives meanwhile does not wait behind all of them.
    const busy = (ms: number) => () => {
      const until = performance.now() + ms;
      while (performance.now() < until);
      return Promise.resolve();
    };
    before = { ...stats };
    await Promise.all(
      Array.from({ length: 12 }, () => store.write(busy(2), { background: "rules" })),
    );
    expect(stats.commands - before.commands).toBe(12);
    expect(stats.commits - before.commits).toBeGreaterThanOrEqual(4);
    // One command longer than the budget still runs, alone in its commit.
    before = { ...stats };
    await Promise.all([busy(10), busy(10)].map((fn) => store.write(fn, { background: "rules" })));
    expect(stats.commits - before.commits).toBe(2);
  });
});
