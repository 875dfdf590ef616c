/** Fails the run at once, with what to do, when the PostgreSQL the suites need is not there. */
import pg from "pg";
import { POSTGRES_URL } from "./support/dialects.js";

export default async function setup(): Promise<void> {
  if (!POSTGRES_URL) {
    console.warn(
      "PostgreSQL suites are OFF (ESCROW_TEST_POSTGRES_URL=off): only SQLite is tested.",
    );
    return;
  }
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${POSTGRES_URL} (${(error as Error).message}). ` +
        "Start it (see README), point ESCROW_TEST_POSTGRES_URL at a server where the user may create databases, " +
        "or set ESCROW_TEST_POSTGRES_URL=off to test SQLite only.",
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
