/**
 * Journey 4: the transactions report (R21): filters by contract, type and dates, paging, totals,
 * and the CSV export of the same filters.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import {
  launchBrowser,
  logIn,
  screenshot,
  startServer,
  type Browser,
  type Server,
} from "./support.js";

let server: Server;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("journey 4: transactions report", () => {
  it("R21: filter, page, total and download the client's own money movements", async () => {
    const { page } = browser;
    onTestFailed(() => screenshot(page, "journey-4-failure"));
    const client = await server.signUp("Carol");
    const freelancer = await server.signUp("Fran", "");
    const offer = (title: string, amount: number) =>
      server.api("POST", "/v1/contracts", client.token, {
        freelancerEmail: freelancer.email,
        title,
        currency: "USD",
        milestones: [{ title: "Work", amount }],
      });
    // Website: $100.00 deposit, then $120.00 released: $20.00 extra charged.
    const website = await offer("Website", 10000);
    await server.api("POST", `/v1/contracts/${website.id}/accept`, freelancer.token);
    await server.api("POST", `/v1/milestones/${website.milestones[0].id}/approve`, client.token, {
      amount: 12000,
    });
    // Ten withdrawn offers: a $40.00 deposit and its refund each.
    for (let i = 1; i <= 10; i++) {
      const c = await offer(`Draft ${i}`, 4000);
      await server.api("POST", `/v1/contracts/${c.id}/withdraw`, client.token);
    }
    const { now } = await server.api("GET", "/v1/test-clock");
    const today = String(now).slice(0, 10);

    await logIn(page, server, client.email);
    await page.getByRole("link", { name: "Transactions" }).click();
    const rows = page.locator("tbody tr");
    await page.getByTestId("total-USD").waitFor();
    expect(await page.getByTestId("total-USD").textContent()).toMatch(
      /-\$120\.00 net in 22 transactions/,
    );
    expect(await rows.count()).toBe(20);
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("Page 2").waitFor();
    await page.waitForFunction('document.querySelectorAll("tbody tr").length === 2');
    expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.getByText("Page 1").waitFor();

    // By type: the deposits only.
    await page.getByLabel("Type").selectOption("escrow_deposit");
    await page.getByText(/-\$500\.00 net in 11 transactions/).waitFor();
    // By contract: the Website's deposit and extra charge.
    await page.getByLabel("Type").selectOption("");
    await page.getByLabel("Contract").selectOption({ label: "Website" });
    await page.getByText(/-\$120\.00 net in 2 transactions/).waitFor();
    expect(await page.locator("tbody").textContent()).toContain("Extra release");
    // By date: today includes everything, tomorrow nothing.
    await page.getByLabel("From").fill(today);
    await page.getByLabel("To (inclusive)").fill(today);
    await page.getByText(/-\$120\.00 net in 2 transactions/).waitFor();
    await screenshot(page, "journey-4-transactions");

    // The CSV link carries the same filters.
    const href = await page.getByRole("link", { name: "Download CSV" }).getAttribute("href");
    expect(href).toContain(`contractId=${website.id}`);
    expect(href).toContain(`from=${today}`);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download CSV" }).click(),
    ]);
    const csv = readFileSync(await download.path(), "utf8")
      .trim()
      .split(/\r?\n/);
    expect(csv[0]).toBe(
      "id,createdAt,type,description,contractId,milestoneId,amount,currency,status",
    );
    expect(csv).toHaveLength(3);
    expect(csv.some((line) => line.includes("extra_payment") && line.includes(",-2000,USD,"))).toBe(
      true,
    );

    const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000)
      .toISOString()
      .slice(0, 10);
    await page.getByLabel("From").fill(tomorrow);
    await page.getByLabel("To (inclusive)").fill("");
    await page.getByText("No transactions match.").waitFor();
  });
});
