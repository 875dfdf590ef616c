/**
 * SSRF protection of webhooks: only https to public addresses, checked at registration and,
 * on the resolved address, at connect time; loopback, private, link-local (cloud metadata),
 * CGNAT, multicast and unspecified addresses refused in every IPv4 and IPv6 spelling.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkWebhookUrl,
  isBlockedAddress,
  type LookupFunction,
} from "../../src/webhooks/address-guard.js";
import { WebhookSender } from "../../src/webhooks/sender.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, offer, type TestServer, type TestUser } from "../support/server.js";

const BLOCKED = [
  "127.0.0.1",
  "127.255.255.254",
  "0.0.0.0",
  "10.1.2.3",
  "172.16.0.1",
  "172.31.255.255",
  "192.168.1.10",
  "169.254.169.254",
  "169.254.0.1",
  "100.64.0.1",
  "224.0.0.1",
  "255.255.255.255",
  "::",
  "::1",
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "::ffff:169.254.169.254",
  "::ffff:10.0.0.1",
  "fc00::1",
  "fd12:3456::1",
  "fe80::1",
  "fe80::1%eth0",
  "ff02::1",
  "64:ff9b::7f00:1",
  "2002:7f00:1::",
  "not an address",
];
const PUBLIC = ["8.8.8.8", "93.184.216.34", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"];

const REFUSED_URLS = [
  "http://example.com/hook", // not https
  "ftp://example.com/hook",
  "https://127.0.0.1/hook",
  "https://2130706433/hook", // 127.0.0.1 in decimal
  "https://0x7f.1/hook", // 127.0.0.1 in hex shorthand
  "https://10.0.0.5/hook",
  "https://172.16.9.9/hook",
  "https://192.168.0.1/hook",
  "https://169.254.169.254/latest/meta-data/",
  "https://100.100.100.200/hook",
  "https://[::1]/hook",
  "https://[::ffff:127.0.0.1]/hook",
  "https://[::ffff:169.254.169.254]/hook",
  "https://[fd00::1]/hook",
  "https://[fe80::1]/hook",
  "https://[::]/hook",
  "https://0.0.0.0/hook",
  "https://localhost/hook",
  "https://api.localhost/hook",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://intranet/hook",
  "https://user:pass@example.com/hook",
  "not a url",
];

describe("the address guard", () => {
  it.for(BLOCKED)("refuses %s", (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });
  it.for(PUBLIC)("allows the public address %s", (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });
  it.for(REFUSED_URLS)("refuses to register %s", (url) => {
    expect(() => checkWebhookUrl(url, false)).toThrow();
  });
  it("accepts https URLs to public names and addresses", () => {
    expect(checkWebhookUrl("https://hooks.example.com/escrow?x=1", false)).toBe(
      "https://hooks.example.com/escrow?x=1",
    );
    expect(checkWebhookUrl("https://93.184.216.34:8443/hook", false)).toBe(
      "https://93.184.216.34:8443/hook",
    );
  });
  it("with ESCROW_WEBHOOKS_ALLOW_PRIVATE=1, http and loopback are allowed (development, tests)", () => {
    expect(checkWebhookUrl("http://127.0.0.1:8080/hook", true)).toBe("http://127.0.0.1:8080/hook");
    expect(() => checkWebhookUrl("ftp://127.0.0.1/hook", true)).toThrow();
  });
});

describe("at connect time", () => {
  let listener: net.Server;
  let port: number;
  let connections = 0;
  beforeEach(async () => {
    connections = 0;
    listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    port = (listener.address() as AddressInfo).port;
  });
  afterEach(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  const call = (url: string) => ({ url, secret: "whsec_x", body: "{}", eventId: "evt_1" });

  it("a name that resolves to 127.0.0.1 is refused before any connection is made", async () => {
    const sender = new WebhookSender({ allowPrivate: false });
    const outcome = await sender.send(call(`https://localhost:${port}/hook`));
    expect(outcome).toMatchObject({ ok: false, statusCode: null });
    expect(!outcome.ok && outcome.error).toContain("not a public address");
    expect(connections).toBe(0);
  });

  it("a public-looking name re-pointed at a private or metadata address (DNS rebinding) is refused", async () => {
    for (const address of ["127.0.0.1", "169.254.169.254", "10.0.0.7", "::1", "::ffff:127.0.0.1"]) {
      const lookup: LookupFunction = (_host, _options, callback) =>
        callback(null, [{ address, family: address.includes(":") ? 6 : 4 }]);
      const sender = new WebhookSender({ allowPrivate: false, lookup });
      const outcome = await sender.send(call(`https://hooks.example.com:${port}/hook`));
      expect(!outcome.ok && outcome.error).toContain("not a public address");
    }
    expect(connections).toBe(0);
  });

  it("literal private addresses in every spelling are refused without connecting", async () => {
    const sender = new WebhookSender({ allowPrivate: false });
    for (const host of [
      "127.0.0.1",
      "[::1]",
      "[::ffff:127.0.0.1]",
      "[::ffff:7f00:1]",
      "2130706433",
    ]) {
      const outcome = await sender.send(call(`https://${host}:${port}/hook`));
      expect(!outcome.ok && outcome.error).toContain("not a public address");
    }
    const plain = await sender.send(call(`http://example.com:${port}/hook`));
    expect(!plain.ok && plain.error).toContain("not https");
    expect(connections).toBe(0);
  });

  it("with private addresses allowed the same call connects", async () => {
    const sender = new WebhookSender({ allowPrivate: true });
    const outcome = await sender.send(call(`http://127.0.0.1:${port}/hook`));
    expect(outcome.ok).toBe(false);
    expect(connections).toBe(1);
  });
});

describe.each(DIALECTS)("webhook registration and delivery with the guard on (%s)", (dialect) => {
  let server: TestServer;
  let client: TestUser;
  beforeEach(async () => {
    server = await createTestServer(dialect);
    client = await server.signUp("Carol");
  });
  afterEach(() => server.close());

  it.for(REFUSED_URLS.filter((u) => u !== "not a url"))(
    "R2: registering %s is refused with 400 on field url",
    async (url) => {
      const answer = await server.request("POST", "/v1/webhook-endpoints", {
        token: client.token,
        body: { url },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: "validation_failed", field: "url" });
    },
  );

  it("an endpoint whose name later resolves to loopback gets no call: refused at connect time and retried", async () => {
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const { port } = listener.address() as AddressInfo;
    try {
      // As if it had been registered while the name pointed to a public address.
      const endpoint = await server.app.services.notifications.createEndpoint(
        client.id,
        `https://localhost:${port}/hook`,
        null,
        Date.now(),
      );
      const freelancer = await server.signUp("Frank", { card: null });
      await offer(server, client, freelancer);
      await server.app.dispatcher.runOnce();
      const log = await server.request("GET", `/v1/webhook-endpoints/${endpoint.id}/deliveries`, {
        token: client.token,
      });
      expect(log.body.data).toHaveLength(2);
      for (const delivery of log.body.data) {
        expect(delivery).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: null });
        expect(delivery.lastError).toContain("not a public address");
      }
      expect(connections).toBe(0);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });
});
