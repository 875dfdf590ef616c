/**
 * Journey 3: the client ends the contract with money in escrow and asks for it back, the
 * freelancer disputes, and staff split the disputed amount (R9, R17-R19).
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import {
  launchBrowser,
  logIn,
  logOut,
  screenshot,
  STAFF,
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

describe("journey 3: end, refund request, dispute, staff split", () => {
  it("R17-R19: the disputed escrow is split by staff and both parties see the outcome", async () => {
    const { page } = browser;
    onTestFailed(() => screenshot(page, "journey-3-failure"));
    const client = await server.signUp("Carol");
    const freelancer = await server.signUp("Fran", "");
    const contract = await server.api("POST", "/v1/contracts", client.token, {
      freelancerEmail: freelancer.email,
      title: "Mobile app",
      currency: "USD",
      milestones: [
        { title: "Prototype", amount: 30000 },
        { title: "Release", amount: 50000 },
      ],
    });
    await server.api("POST", `/v1/contracts/${contract.id}/accept`, freelancer.token);

    // The client ends the contract; the escrow stays, the unfunded milestone is cancelled.
    await logIn(page, server, client.email);
    await page.getByRole("link", { name: "Mobile app" }).first().click();
    await page.getByRole("button", { name: "End contract" }).click();
    const endText = await page.getByRole("alertdialog").textContent();
    expect(endText).toContain(
      "The $300.00 in escrow stays there until you release it or request an escrow refund",
    );
    await page.getByLabel(/Reason/).fill("Project cancelled");
    await page.getByRole("alertdialog").getByRole("button", { name: "End contract" }).click();
    await page.getByText("Ended", { exact: true }).first().waitFor();

    // ... and requests a refund of all of it.
    await page.getByRole("button", { name: "Request a refund of $300.00" }).click();
    expect(await page.getByRole("alertdialog").textContent()).toContain(
      "has 7 days to approve or dispute",
    );
    await page.getByLabel(/Reason/).fill("No usable work was delivered");
    await page.getByRole("button", { name: "Request refund" }).click();
    await page.getByRole("heading", { name: "Escrow refund request" }).waitFor();
    await logOut(page);

    // The freelancer disputes it.
    await logIn(page, server, freelancer.email);
    const todo = page.locator(".todo-list");
    await todo.getByText("Refund request to answer").waitFor();
    expect(await todo.textContent()).toContain("refund approves automatically in 7 days");
    await todo.getByRole("link").first().click();
    await page.getByRole("button", { name: "Dispute" }).click();
    await page.getByLabel(/Why do you dispute it/).fill("The prototype was delivered and used");
    await page.getByRole("button", { name: "Send dispute to staff" }).click();
    await page.getByText(/Disputed\./).waitFor();
    await logOut(page);

    // Staff split it: $120.00 back to the client, $180.00 to the freelancer.
    await logIn(page, server, STAFF.email, STAFF.password);
    await page.getByRole("link", { name: "Disputes" }).click();
    await page.getByRole("link", { name: /Dispute over \$300\.00 on “Mobile app”/ }).click();
    await page.getByText("The prototype was delivered and used").first().waitFor();
    await page.getByLabel(/Refund to Carol/).fill("120");
    await page.getByLabel(/Release to Fran/).fill("150");
    await page.getByText("$30.00 short").waitFor();
    await page.getByRole("button", { name: "Release the rest" }).click();
    await page.getByText("Adds up to $300.00.").waitFor();
    await page.getByLabel(/Reason \(both parties see it\)/).fill("The prototype was partly usable");
    await page.getByRole("button", { name: "Review decision" }).click();
    expect(await page.getByRole("alertdialog").textContent()).toContain(
      "$120.00 is refunded to Carol’s card and $180.00 is released to Fran",
    );
    await screenshot(page, "journey-3-staff-console");
    await page.getByRole("button", { name: "Settle dispute" }).click();
    await page.getByRole("heading", { name: /Mobile app/ }).waitFor();
    await page
      .getByText(/Dispute settled: \$120\.00 refunded to the client, \$180\.00 released/)
      .waitFor();
    await expect.poll(() => page.getByTestId("refunded").textContent()).toBe("$120.00");
    await expect.poll(() => page.getByTestId("released").textContent()).toBe("$180.00");
    expect(await page.getByTestId("in-escrow").textContent()).toBe("$0.00");
    await logOut(page);

    // The client sees the outcome and its reason.
    await logIn(page, server, client.email);
    await page.goto(`${server.url}/contracts/${contract.id}`);
    await page.getByText(/Reason: “The prototype was partly usable”/).waitFor();
    await screenshot(page, "journey-3-contract-after-dispute");
  });
});
