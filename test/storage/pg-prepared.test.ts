/** Named prepared statements on PostgreSQL (src/storage/pg-prepared.ts). */
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openPostgres, type DatabaseHandle } from "../../src/storage/database.js";
import { isStalePlan, StatementNames } from "../../src/storage/pg-prepared.js";
import { SqlStore } from "../../src/storage/sql-store.js";
import type { SqlTx } from "../../src/storage/sql-tx.js";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../support/dialects.js";

describe("statement names", () => {
  it("names a text on its second use, the same name after, and none past the limit", () => {
    const names = new StatementNames(2);
    expect(names.nameFor("a")).toBeUndefined();
    const a = names.nameFor("a");
    expect(a).toBeDefined();
    expect(names.nameFor("a")).toBe(a);
    names.nameFor("b");
    const b = names.nameFor("b");
    expect(b).toBeDefined();
    expect(b).not.toBe(a);
    names.nameFor("c");
    expect(names.nameFor("c")).toBeUndefined();
    expect(names.size).toBe(2);
  });

  it("renews every name after a stale plan", () => {
    const names = new StatementNames();
    names.nameFor("a");
    const before = names.nameFor("a");
    names.renew();
    expect(names.size).toBe(0);
    names.nameFor("a");
    const after = names.nameFor("a");
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });
});

describe.runIf(POSTGRES_URL !== undefined)("prepared statements on PostgreSQL", () => {
  let database: TestDatabase | undefined;
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    await database?.drop();
    handle = undefined;
    database = undefined;
  });

  async function open(preparedStatements: boolean) {
    database = await createTestDatabase("postgres", false);
    // One connection, so every statement below runs in the same session.
    handle = openPostgres({ url: database.location.databaseUrl!, poolSize: 1, preparedStatements });
    return handle.db;
  }

  async function preparedCount(db: DatabaseHandle["db"], text: string): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_prepared_statements where statement = ${text}`.execute(db);
    return rows[0]!.n;
  }

  const PLUS_ONE = "select $1::int + 1 as n";

  it("a repeated statement is parsed once per connection and answers as before", async () => {
    const db = await open(true);
    for (let i = 0; i < 3; i++) {
      const { rows } = await sql<{ n: number }>`select ${i}::int + 1 as n`.execute(db);
      expect(rows).toEqual([{ n: i + 1 }]);
    }
    expect(await preparedCount(db, PLUS_ONE)).toBe(1);
  });

  it("DATABASE_PREPARED_STATEMENTS=0 runs every statement unnamed", async () => {
    const db = await open(false);
    for (let i = 0; i < 3; i++) await sql`select ${i}::int + 1 as n`.execute(db);
    expect(await preparedCount(db, PLUS_ONE)).toBe(0);
  });

  it("a statement whose columns changed fails once as retryable, then runs under a new name", async () => {
    const db = await open(true);
    await sql`create table t (id int primary key, a int)`.execute(db);
    await sql`insert into t values (1, 10)`.execute(db);
    const read = () => sql<Record<string, number>>`select * from t where id = ${1}`.execute(db);
    await read();
    expect((await read()).rows).toEqual([{ id: 1, a: 10 }]);
    await sql`alter table t add column b int not null default 7`.execute(db);
    const failure = await read().then(
      () => null,
      (error: unknown) => error,
    );
    expect(isStalePlan(failure)).toBe(true);
    expect((await read()).rows).toEqual([{ id: 1, a: 10, b: 7 }]);
    expect((await read()).rows).toEqual([{ id: 1, a: 10, b: 7 }]);
  });

  it("a command that meets a stale plan is retried in a new transaction and commits once", async () => {
    const db = await open(true);
    await sql`create table t (id int primary key, a int)`.execute(db);
    await sql`create table log (n int)`.execute(db);
    await sql`insert into t values (1, 10)`.execute(db);
    const store = new SqlStore(handle!);
    let attempts = 0;
    const command = () =>
      store.write(async (tx) => {
        attempts++;
        const conn = (tx as SqlTx).db;
        await sql`insert into log values (${attempts})`.execute(conn);
        return (await sql<Record<string, number>>`select * from t where id = ${1}`.execute(conn))
          .rows;
      });
    await command();
    await command();
    await sql`alter table t add column b int not null default 7`.execute(db);
    attempts = 0;
    expect(await command()).toEqual([{ id: 1, a: 10, b: 7 }]);
    expect(attempts).toBe(2);
    const { rows } = await sql<{ n: number }>`select n from log order by n`.execute(db);
    // Two earlier commands wrote 1 and 2; of this one's two attempts only the second committed.
    expect(rows.map((r) => r.n)).toEqual([1, 2, 2]);
  });
});
