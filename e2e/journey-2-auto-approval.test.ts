/**
 * Journey 2: a submission the client never answers is approved automatically after the review
 * window (R14). The test moves the server's test clock; the UI shows the countdown before and
 * the automatic release after.
 */
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

describe("journey 2: automatic approval", () => {
  it("R14: the dashboard counts down, and after 14 days the milestone is paid by the system", async () => {
    const { page } = browser;
    onTestFailed(() => screenshot(page, "journey-2-failure"));
    const client = await server.signUp("Carol");
    const freelancer = await server.signUp("Fran", "");
    const contract = await server.api("POST", "/v1/contracts", client.token, {
      freelancerEmail: freelancer.email,
      title: "Logo design",
      currency: "EUR",
      milestones: [{ title: "Logo", amount: 25000, dueDate: "2020-01-31" }],
    });
    await server.api("POST", `/v1/contracts/${contract.id}/accept`, freelancer.token);
    const milestoneId = contract.milestones[0].id;
    await server.api("POST", `/v1/milestones/${milestoneId}/submit`, freelancer.token, {
      message: "Three logo options",
      links: ["https://example.com/logos"],
    });

    await logIn(page, server, client.email);
    const todo = page.locator(".todo-list");
    await todo.getByText("Submission to review: Logo").waitFor();
    expect(await todo.textContent()).toContain("auto-approves in 14 days");
    await screenshot(page, "journey-2-dashboard");
    await todo.getByRole("link").first().click();
    await page.getByText(/Auto-approves in 14 days/).waitFor();
    expect(await page.getByText("Overdue").count()).toBeGreaterThan(0);
    const exact = await page.locator(".auto-banner time").getAttribute("title");
    expect(exact).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);

    // 13 days later: one day left.
    await server.advanceClock(13 * 86_400);
    await page.reload();
    await page
      .getByText(/Auto-approves tomorrow|Auto-approves in 1 day|Auto-approves in 24 hours/)
      .waitFor();

    // Past 14 days: the system releases the whole funded amount.
    await server.advanceClock(86_400 + 60);
    await page.reload();
    await page.getByText("Paid", { exact: true }).waitFor();
    await expect.poll(() => page.getByTestId("released").textContent()).toMatch(/250\.00/);
    expect(await page.getByTestId("in-escrow").textContent()).toMatch(/0\.00/);
    const history = await page.locator(".timeline").textContent();
    expect(history).toContain("Auto-approved milestone 1 “Logo”");
    expect(history).toContain("Automatic");
    await page.locator("li[data-event-type='milestone.auto_approved']").scrollIntoViewIfNeeded();
    await screenshot(page, "journey-2-auto-approved");

    await page.getByRole("link", { name: "Dashboard" }).first().click();
    await page.getByText("Nothing is waiting for you.").waitFor();
  });
});
