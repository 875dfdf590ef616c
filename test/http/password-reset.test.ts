/**
 * Password reset by email (R1; an addition to API.md): the same answer whether or not the email
 * has an account, a link that works once within the hour, every old session ended, throttled.
 * The emails are received by a real SMTP server.
 */
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashToken } from "../../src/auth/sessions.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, type TestServer, type TestUser } from "../support/server.js";
import { startSmtp, type SmtpSink } from "../notify/support.js";
import { expectError, loginFrom, postFrom } from "./http-helpers.js";

const PUBLIC_URL = "https://escrow.example.test";
const OLD_PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a brand new passphrase";

describe.each(DIALECTS)("password reset (%s)", (dialect) => {
  let smtp: SmtpSink;
  let server: TestServer;
  let user: TestUser;
  beforeEach(async () => {
    smtp = await startSmtp();
    server = await createTestServer(dialect, { SMTP_URL: smtp.url, ESCROW_PUBLIC_URL: PUBLIC_URL });
    user = await server.signUp("Rita", { card: null });
  });
  afterEach(async () => {
    await server.close();
    await smtp.close();
  });

  const ask = (email: string, from = "10.5.0.1") =>
    postFrom(server, from, "/v1/auth/password-reset", { email });
  const confirm = (token: string, password = NEW_PASSWORD) =>
    postFrom(server, "10.5.0.1", "/v1/auth/password-reset/confirm", { token, password });

  /** The token of the next reset email to `to` (the emails go out just after the answer). */
  async function linkSentTo(to: string, count = 1): Promise<string> {
    const body = (await smtp.mailsTo(to, count))[count - 1]!.body;
    const match = /https:\/\/escrow\.example\.test\/reset-password#token=([A-Za-z0-9_-]+)/.exec(
      body,
    );
    if (!match) throw new Error(`no reset link in:\n${body}`);
    return match[1]!;
  }

  it("R1: the emailed link sets a new password once, ends every old session and logs in", async () => {
    const asked = await ask(user.email.toUpperCase());
    expect(asked.status).toBe(202);
    expect(asked.body).toEqual({});
    const token = await linkSentTo(user.email);
    const mail = smtp.mails.find((m) => m.to.includes(user.email))!;
    expect(mail.subject).toBe("[Escrow] Reset your password");
    expect(mail.body).toContain("Hello Rita,");
    expect(mail.body).toContain("works once, for one hour");

    const done = await confirm(token);
    expect(done.status).toBe(200);
    expect(done.body.user).toMatchObject({ id: user.id, email: user.email });
    const me = await server.request("GET", "/v1/me", { token: done.body.token });
    expect(me.status).toBe(200);
    // The session from before the reset is over; only the new password logs in.
    expectError(
      await server.request("GET", "/v1/me", { token: user.token }),
      401,
      "unauthenticated",
    );
    const old = await loginFrom(server, "10.5.0.2", { email: user.email, password: OLD_PASSWORD });
    expectError(old, 401, "unauthenticated");
    const fresh = await loginFrom(server, "10.5.0.2", {
      email: user.email,
      password: NEW_PASSWORD,
    });
    expect(fresh.status).toBe(200);
    // Used once: the same link again is refused, and changes nothing.
    expectError(await confirm(token, "yet another passphrase"), 400, "validation_failed");
    expect(
      (await loginFrom(server, "10.5.0.2", { email: user.email, password: NEW_PASSWORD })).status,
    ).toBe(200);
  });

  it("R1: an email without an account gets the same answer and no email", async () => {
    const unknown = await ask("nobody@example.test");
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual({});
    await ask(user.email);
    await linkSentTo(user.email);
    expect(smtp.mails.map((m) => m.to)).toEqual([[user.email]]);
  });

  it("R1: an expired link, a made-up token and a short password are refused; one link used voids the others", async () => {
    const links: string[] = [];
    for (let n = 1; n <= 3; n++) {
      await ask(user.email);
      links.push(await linkSentTo(user.email, n));
    }
    const [expired, used, voided] = links as [string, string, string];
    const short = await confirm(used, "short");
    expectError(short, 400, "validation_failed");
    expect(short.body.error.field).toBe("password");
    const madeUp = await confirm("made-up-token");
    expectError(madeUp, 400, "validation_failed");
    expect(madeUp.body.error.field).toBe("token");
    await sql`update password_resets set expires_at = ${Date.now() - 1}
      where token_hash = ${hashToken(expired)}`.execute(server.app.handle.db);
    expectError(await confirm(expired), 400, "validation_failed");
    // The refused attempts consumed nothing: this link still works, and then none does.
    expect((await confirm(used)).status).toBe(200);
    expectError(await confirm(used), 400, "validation_failed");
    expectError(await confirm(voided), 400, "validation_failed");
  });

  it("R1: two uses of one link at once: exactly one sets the password", async () => {
    await ask(user.email);
    const token = await linkSentTo(user.email);
    const answers = await Promise.all([
      confirm(token, "first of the two passwords"),
      confirm(token, "second of the two passwords"),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const winner = answers[0].status === 200 ? "first" : "second";
    const login = await loginFrom(server, "10.5.0.3", {
      email: user.email,
      password: `${winner} of the two passwords`,
    });
    expect(login.status).toBe(200);
  });

  it("R1: two different links of one account used at once: one sets the password, the other is void, no error", async () => {
    await ask(user.email);
    const first = await linkSentTo(user.email);
    await ask(user.email);
    const second = await linkSentTo(user.email, 2);
    const answers = await Promise.all([
      confirm(first, "first of the two passwords"),
      confirm(second, "second of the two passwords"),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
  });

  it("R1: requests are throttled per email and per client address, with Retry-After", async () => {
    for (let i = 0; i < 5; i++) expect((await ask(user.email, `10.6.0.${i + 1}`)).status).toBe(202);
    const perEmail = await ask(user.email, "10.6.0.99");
    expectError(perEmail, 429, "rate_limited");
    expect(Number(perEmail.headers["retry-after"])).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) {
      expect((await ask(`someone.${i}@example.test`, "10.7.0.1")).status).toBe(202);
    }
    expectError(await ask("someone.else@example.test", "10.7.0.1"), 429, "rate_limited");
    expect((await ask("someone.else@example.test", "10.7.0.2")).status).toBe(202);
  });

  it("R1: guessing tokens is throttled per client address", async () => {
    const guess = (from: string) =>
      postFrom(server, from, "/v1/auth/password-reset/confirm", {
        token: `guess-${Math.random()}`,
        password: NEW_PASSWORD,
      });
    for (let i = 0; i < 20; i++) expectError(await guess("10.8.0.1"), 400, "validation_failed");
    const throttled = await guess("10.8.0.1");
    expectError(throttled, 429, "rate_limited");
    expect(Number(throttled.headers["retry-after"])).toBeGreaterThan(0);
    expectError(await guess("10.8.0.2"), 400, "validation_failed");
  });
});
