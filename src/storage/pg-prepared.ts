/**
 * Named prepared statements on PostgreSQL. The application's statements are a fixed set of texts
 * run again and again with new parameters; sent unnamed, PostgreSQL parses and plans each one on
 * every call, which was the largest single cost of a lifecycle command on the database's side
 * (the benchmark's raw loop of the same statements runs about 1.5x faster named than unnamed).
 * Here a text used a second time gets a name, and each connection parses it once under that name.
 *
 * Bounded: at most `limit` texts are named per process (a text seen once is never named, so
 * one-off texts do not fill the table); texts beyond the limit run unnamed. Statements without
 * parameters (begin, commit, savepoints) run unnamed on the simple protocol, as before.
 *
 * A named statement whose result columns change under it (a migration run by another server, on
 * a `select *`) fails once with "cached plan must not change result type"; the names are then
 * renewed so every connection prepares afresh, and the error is retryable (`isStalePlan`).
 *
 * Off with DATABASE_PREPARED_STATEMENTS=0, for a connection pooler in transaction mode that does
 * not carry prepared statements between server connections (PgBouncer before 1.21).
 */
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import type pg from "pg";

/** A named statement's result columns changed under it (SQLSTATE 0A000, "cached plan ..."). */
export function isStalePlan(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "0A000" && typeof message === "string" && message.includes("cached plan");
}

export class StatementNames {
  private readonly names = new Map<string, string>();
  private readonly seen = new Set<string>();
  private generation = 0;
  private next = 0;

  constructor(readonly limit = 400) {}

  /** The name to run `text` under, or undefined to run it unnamed. */
  nameFor(text: string): string | undefined {
    const name = this.names.get(text);
    if (name !== undefined) return name;
    if (this.names.size >= this.limit) return undefined;
    if (!this.seen.has(text)) {
      if (this.seen.size >= 4 * this.limit) this.seen.clear();
      this.seen.add(text);
      return undefined;
    }
    this.seen.delete(text);
    const created = `escrow_${this.generation.toString(36)}_${(this.next++).toString(36)}`;
    this.names.set(text, created);
    return created;
  }

  /** Forgets every name: each connection prepares the texts again under new names. */
  renew(): void {
    this.generation++;
    this.next = 0;
    this.names.clear();
  }

  get size(): number {
    return this.names.size;
  }
}

class PreparingClient implements PostgresPoolClient {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly names: StatementNames,
  ) {}

  query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters?: readonly unknown[],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    const client = this.client as unknown as PostgresPoolClient;
    if (typeof sqlOrCursor !== "string") return client.query(sqlOrCursor);
    const values = (parameters ?? []) as unknown[];
    const name = values.length > 0 ? this.names.nameFor(sqlOrCursor) : undefined;
    if (name === undefined) return client.query<R>(sqlOrCursor, values);
    return (
      this.client.query({ name, text: sqlOrCursor, values }) as unknown as Promise<
        PostgresQueryResult<R>
      >
    ).catch((error: unknown) => {
      if (isStalePlan(error)) this.names.renew();
      throw error;
    });
  }

  release(destroy?: boolean): void {
    this.client.release(destroy);
  }
}

/** A pg pool whose clients run repeated statements as named prepared statements. */
export function preparingPool(pool: pg.Pool, names = new StatementNames()): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, PreparingClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = new PreparingClient(client, names);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
