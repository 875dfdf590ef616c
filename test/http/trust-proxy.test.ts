/**
 * The client's address behind a reverse proxy (ESCROW_TRUST_PROXY): the login throttle counts
 * failures per address, which must be the client's, and which a client must not choose itself.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createTestServer, type TestServer } from "../support/server.js";
import { expectError, loginFrom } from "./http-helpers.js";

const PASSWORD = "correct horse battery";
/** More failed logins from one address than the per-address limit allows. */
const FAILURES = 100;

describe("ESCROW_TRUST_PROXY", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const login = (
    remote: string,
    forwardedFor: string | undefined,
    body: { email: string; password: string },
  ) => loginFrom(server!, remote, body, forwardedFor);

  async function failManyTimes(remote: string, forwardedFor: (i: number) => string | undefined) {
    for (let i = 0; i < FAILURES; i++) {
      const answer = await login(remote, forwardedFor(i), {
        email: `ghost${i % 20}@example.test`,
        password: "nope nope",
      });
      expect(answer.status).toBe(401);
    }
  }

  it("R1: behind one trusted proxy, failures throttle the client's forwarded address, not every client of the proxy", async () => {
    server = await createTestServer("sqlite", { ESCROW_TRUST_PROXY: "1" });
    const user = await server.signUp("Proxied");
    await failManyTimes("127.0.0.1", () => "203.0.113.7");
    const blocked = await login("127.0.0.1", "203.0.113.7", {
      email: user.email,
      password: PASSWORD,
    });
    expectError(blocked, 429, "rate_limited");
    // Another client of the same proxy still logs in.
    const other = await login("127.0.0.1", "203.0.113.8", {
      email: user.email,
      password: PASSWORD,
    });
    expect(other.status).toBe(200);
  });

  it("R1: without the setting, X-Forwarded-For is ignored: a client rotating it is still throttled by its own address", async () => {
    server = await createTestServer("sqlite");
    const user = await server.signUp("Direct");
    await failManyTimes("198.51.100.9", (i) => `203.0.113.${i}`);
    const blocked = await login("198.51.100.9", "203.0.113.250", {
      email: user.email,
      password: PASSWORD,
    });
    expectError(blocked, 429, "rate_limited");
  });

  it("R1: a listed proxy is trusted and any other peer is not", async () => {
    server = await createTestServer("sqlite", { ESCROW_TRUST_PROXY: "10.0.0.0/8, 192.0.2.1" });
    const user = await server.signUp("Listed");
    // From an unlisted peer the header is ignored, so the rotation does not help.
    await failManyTimes("198.51.100.20", (i) => `203.0.113.${i}`);
    expectError(
      await login("198.51.100.20", "203.0.113.251", { email: user.email, password: PASSWORD }),
      429,
      "rate_limited",
    );
    // Through a listed proxy, the forwarded client is who counts: one is throttled, the next
    // client of the same proxy is not.
    await failManyTimes("10.1.2.3", () => "203.0.113.7");
    expectError(
      await login("10.1.2.3", "203.0.113.7", { email: user.email, password: PASSWORD }),
      429,
      "rate_limited",
    );
    expect(
      (await login("10.1.2.3", "203.0.113.8", { email: user.email, password: PASSWORD })).status,
    ).toBe(200);
  });

  it.each(["yes", "-1", "11", "10.0.0.0/33", "10.0.0.1,not-an-address", "10.0.0.1/8/2"])(
    'R25: ESCROW_TRUST_PROXY="%s" stops the start with a message naming it',
    (value) => {
      expect(() => loadConfig({ ESCROW_TRUST_PROXY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ ESCROW_TRUST_PROXY: value })).toThrow("ESCROW_TRUST_PROXY");
    },
  );

  it("R25: ESCROW_TRUST_PROXY is off by default and takes a hop count or a list", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ ESCROW_TRUST_PROXY: "0" }).trustProxy).toBe(false);
    expect(loadConfig({ ESCROW_TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(loadConfig({ ESCROW_TRUST_PROXY: "10.0.0.0/8, ::1" }).trustProxy).toEqual([
      "10.0.0.0/8",
      "::1",
    ]);
  });
});
