/**
 * A server killed (SIGKILL) in the middle of a webhook call: the delivery's lease outlives it, and
 * once the lease runs out on the server's clock another server on the same database delivers it
 * again. Real `escrow serve` processes, with the dispatcher running on its own timer.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../support/dialects.js";
import { client, startServerProcess, type ServerProcess } from "../support/processes.js";
import { startReceiver, type WebhookReceiver } from "./support.js";

describe.each(DIALECTS)("a server killed mid-delivery (%s)", (dialect) => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  const processes: ServerProcess[] = [];

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      // A process killed already has a signalCode and no exit code: stop() would wait forever.
      if (p.child.exitCode === null && p.child.signalCode === null) await p.stop("SIGKILL");
    }
    await receiver.close();
    await database.drop();
  });

  const env = () => ({
    ESCROW_TEST_CLOCK: "1",
    ESCROW_INSECURE_FAST_PASSWORD_HASH: "1",
    ESCROW_WEBHOOKS_ALLOW_PRIVATE: "1",
    ESCROW_DISPATCH_INTERVAL_MS: "100",
    ...(database.location.dataDir ? { ESCROW_DATA_DIR: database.location.dataDir } : {}),
    ...(database.location.databaseUrl ? { DATABASE_URL: database.location.databaseUrl } : {}),
  });

  it(
    "R22, R23: the delivery is redone by the next server after restart",
    { timeout: 60_000 },
    async () => {
      const first = await startServerProcess(env());
      processes.push(first);
      const api = client(first.url);
      const signup = (name: string) =>
        api("POST", "/v1/auth/signup", {
          body: {
            email: `${name}.${Date.now()}@example.test`,
            password: "correct horse battery",
            name,
          },
        });
      const carol = (await signup("carol")).body;
      const frank = (await signup("frank")).body;
      await api("POST", "/v1/payment-methods", { token: carol.token, body: { token: "tok_visa" } });
      const endpoint = await api("POST", "/v1/webhook-endpoints", {
        token: carol.token,
        body: { url: receiver.url, events: ["contract.offered"] },
      });
      expect(endpoint.status).toBe(201);

      receiver.mode = "hang";
      const offer = await api("POST", "/v1/contracts", {
        token: carol.token,
        body: {
          freelancerEmail: frank.user.email,
          title: "Logo",
          currency: "USD",
          milestones: [{ title: "One", amount: 10_000 }],
        },
      });
      expect(offer.status).toBe(201);
      // The first server's own timer makes the call; the receiver holds it open; kill -9.
      await receiver.waitFor(1);
      await first.stop("SIGKILL");

      receiver.mode = "ok";
      const second = await startServerProcess(env());
      processes.push(second);
      const api2 = client(second.url);
      // The lease is still held on the server's (test) clock: nothing is sent twice at once.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.calls).toHaveLength(1);
      // Past the lease, the second server delivers it again: the same event, at least once.
      await api2("POST", "/v1/test-clock/advance", { body: { seconds: 180 } });
      await receiver.waitFor(2);
      expect(receiver.calls[1]!.body.id).toBe(receiver.calls[0]!.body.id);
      expect(receiver.calls[1]!.body.type).toBe("contract.offered");
      const log = await api2("GET", `/v1/webhook-endpoints/${endpoint.body.id}/deliveries`, {
        token: carol.token,
      });
      expect(log.body.data).toHaveLength(1);
      expect(log.body.data[0]).toMatchObject({ status: "delivered", attempts: 2 });
    },
  );
});
