/**
 * The test clock (API.md): its time lives in the database, so every server sharing the database
 * sees the same time and it survives restarts. It starts at real time when the database is new
 * and moves only when advanced.
 */
import type { Kysely } from "kysely";
import type { Clock } from "../app/ports.js";
import { query } from "./fast-sql.js";
import type { Database } from "./schema.js";

export class DatabaseTestClock implements Clock {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly wallClock: () => number = Date.now,
    /** Where `now` reads (a read connection, so reading the time never waits for a commit). */
    private readonly readDb: Kysely<Database> = db,
  ) {}

  async now(): Promise<number> {
    // Read by every command in test mode: fixed text, not built by Kysely on each call.
    const [row] = (
      await query<{ now: number }>(this.readDb, `select "now" from "test_clock" where "id" = 1`, [])
    ).rows;
    if (row) return row.now;
    const start = this.wallClock();
    await this.db
      .insertInto("test_clock")
      .values({ id: 1, now: start })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    return this.now();
  }

  /** Moves the clock forward by `seconds` and returns the new time. */
  async advance(seconds: number): Promise<number> {
    await this.now(); // creates the row on a new database
    // One atomic update, so two servers advancing at once add both amounts.
    await this.db
      .updateTable("test_clock")
      .set((eb) => ({ now: eb("now", "+", Math.round(seconds * 1000)) }))
      .where("id", "=", 1)
      .execute();
    return this.now();
  }
}
