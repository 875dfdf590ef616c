/**
 * Journey 1: a client signs up and sends an offer (adding a card inline), the freelancer accepts
 * and submits, the client requests changes, the freelancer resubmits, the client approves less
 * than was funded and funds the next milestone from the unallocated escrow.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
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

let server: Server;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("journey 1: offer to partial release", () => {
  it("R6-R15: offer, accept, submit, request changes, resubmit, approve less, fund next from unallocated", async () => {
    const { page } = browser;
    onTestFailed(() => screenshot(page, "journey-1-failure"));
    const freelancer = await server.signUp("Fran", "");

    // Sign up as the client in the browser.
    await page.goto(`${server.url}/`);
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Your name").fill("Carol");
    await page.getByLabel("Email").fill("carol@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();

    // New offer with two milestones; no card yet, so one is added inline.
    await page.getByRole("link", { name: "New offer" }).first().click();
    await page.getByLabel("Freelancer’s email").fill(freelancer.email);
    await page.getByLabel("Contract title").fill("Company website");
    await page.getByLabel("Description", { exact: true }).fill("A five-page site");
    await page.getByLabel("Title", { exact: true }).first().fill("Design");
    await page.getByLabel("Amount (USD)").first().fill("100.00");
    await page.getByRole("button", { name: "Add a milestone" }).click();
    await page.getByLabel("Title", { exact: true }).nth(1).fill("Build");
    await page.getByLabel("Amount (USD)").nth(1).fill("50");
    const summary = await page.locator("#offer-summary").textContent();
    expect(summary).toContain("Total: $150.00");
    expect(summary).toContain("deposits the first milestone, $100.00");
    await page.getByLabel("Visa test card (charges succeed)").check();
    await page.getByRole("button", { name: "Add card" }).click();
    await page.getByText("ending 4242").waitFor();
    await page.getByRole("button", { name: "Review offer" }).click();
    const confirm = page.getByRole("alertdialog");
    expect(await confirm.textContent()).toContain(
      "$100.00 will be charged to your visa card ending 4242",
    );
    await page.getByRole("button", { name: "Send offer and pay $100.00" }).click();
    await page.getByRole("heading", { name: /Company website/ }).waitFor();
    expect(await page.getByTestId("in-escrow").textContent()).toBe("$100.00");
    await logOut(page);

    // The freelancer has a notification of the offer, unread until marked read.
    await logIn(page, server, freelancer.email);
    await page.getByRole("link", { name: "Notifications, 1 unread" }).click();
    await page.getByRole("heading", { name: "Notifications" }).waitFor();
    const notice = page.getByRole("listitem").filter({ hasText: "sent you an offer" });
    expect(await notice.textContent()).toContain('Carol sent you an offer "Company website"');
    await notice.getByRole("button", { name: "Mark read" }).click();
    await page.getByRole("link", { name: "Notifications", exact: true }).waitFor();
    expect(await notice.textContent()).not.toContain("Unread");

    // The freelancer sees the offer first on the dashboard, accepts and submits.
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("link", { name: "Offer to answer" }).click();
    await page.getByRole("button", { name: "Accept offer" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Accept offer" }).click();
    await page.getByRole("button", { name: "Submit work" }).click();
    await page.getByLabel("Message to the client").fill("First draft of the design");
    await page.getByLabel(/Links/).fill("https://example.com/design-v1");
    await page.getByRole("button", { name: "Submit for review" }).click();
    await page.getByText("Submitted for review").first().waitFor();
    await logOut(page);

    // The client asks for changes.
    await logIn(page, server, "carol@example.com");
    const review = page.getByRole("link", { name: /Submission to review: Design/ });
    await review.waitFor();
    expect(await page.locator(".todo-list").textContent()).toContain("auto-approves in 14 days");
    await review.click();
    await page.getByRole("button", { name: "Request changes" }).click();
    await page.getByLabel("What needs to change?").fill("Use our brand colours");
    await page.getByRole("button", { name: "Send request for changes" }).click();
    await page.getByText("Changes requested", { exact: true }).first().waitFor();
    await logOut(page);

    // The freelancer resubmits.
    await logIn(page, server, freelancer.email);
    await page.getByRole("link", { name: /Changes requested: Design/ }).click();
    await page.getByRole("button", { name: "Submit revised work" }).click();
    await page.getByLabel("Message to the client").fill("Now in brand colours");
    await page.getByRole("button", { name: "Submit for review" }).click();
    await page.getByText("2 submissions").waitFor();
    await logOut(page);

    // The client approves $70.00 of the $100.00: $30.00 stays unallocated.
    await logIn(page, server, "carol@example.com");
    await page.getByRole("link", { name: /Submission to review: Design/ }).click();
    await page.getByRole("button", { name: "Approve and release" }).click();
    await page.getByLabel(/Amount to release/).fill("70");
    expect(await page.getByTestId("release-explanation").textContent()).toContain(
      "The other $30.00 stays in this contract’s escrow as unallocated",
    );
    await page.getByRole("button", { name: "Review release" }).click();
    await page.getByRole("button", { name: "Release $70.00" }).click();
    await page.getByTestId("unallocated").getByText("$30.00").waitFor();
    await expect.poll(() => page.getByTestId("released").textContent()).toBe("$70.00");

    // Fund the next milestone: $30.00 from unallocated, $20.00 charged.
    await page.getByRole("button", { name: "Fund this milestone" }).click();
    const fund = await page.getByRole("alertdialog").textContent();
    expect(fund).toContain("$30.00 comes from this contract’s unallocated escrow");
    expect(fund).toContain("$20.00 is charged to your visa card ending 4242");
    await page.getByRole("button", { name: "Fund and pay $20.00" }).click();
    await page.getByTestId("unallocated").getByText("$0.00").waitFor();
    expect(await page.getByTestId("in-escrow").textContent()).toBe("$50.00");
    await page
      .getByText(
        /Funded milestone 2 “Build” with \$50\.00 \(\$20\.00 charged, \$30\.00 from unallocated/,
      )
      .waitFor();
    await screenshot(page, "journey-1-contract");

    // The same page at phone width.
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "journey-1-contract-phone");
  });
});
