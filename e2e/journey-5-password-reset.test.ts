/**
 * Journey 5: a user who forgot the password asks for a link, opens it from the email (received
 * by a real SMTP server), chooses a new password and is logged in; the old password no longer
 * works and the new one does.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startSmtp, type SmtpSink } from "../test/notify/support.js";
import {
  launchBrowser,
  logIn,
  logOut,
  PASSWORD,
  screenshot,
  startServer,
  type Browser,
  type Server,
} from "./support.js";

let smtp: SmtpSink;
let server: Server;
let browser: Browser;

beforeAll(async () => {
  smtp = await startSmtp();
  [server, browser] = await Promise.all([startServer({ SMTP_URL: smtp.url }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

describe("journey 5: forgotten password", () => {
  it("R1: ask for a link, open it from the email, choose a new password, log in with it", async () => {
    const { page } = browser;
    onTestFailed(() => screenshot(page, "journey-5-failure"));
    const rita = await server.signUp("Rita", "");

    await page.goto(`${server.url}/login`);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Email").fill(rita.email);
    await page.getByRole("button", { name: "Email me a link" }).click();
    expect(await page.getByRole("status").textContent()).toContain(
      `If an account uses ${rita.email}`,
    );

    const [mail] = await smtp.mailsTo(rita.email);
    const link = /http:\/\/127\.0\.0\.1:\d+\/reset-password#token=[A-Za-z0-9_-]+/.exec(
      mail?.body ?? "",
    )?.[0];
    expect(link, "a reset link in the email").toBeDefined();

    await page.goto(link!);
    await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
    await page.getByLabel("New password, again").fill("a brand new passphrase");
    await page.getByRole("button", { name: "Set password and log in" }).click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await logOut(page);

    await page.getByLabel("Email").fill(rita.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toMatch(/email or password/i);
    await logIn(page, server, rita.email, "a brand new passphrase");
  });
});
