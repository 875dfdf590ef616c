/**
 * Emails of a whole contract lifecycle, received by a real SMTP server: recipients (both parties
 * but the actor), subjects, amounts written in the contract's currency, the next step and the
 * link to the contract; the reminders before automatic actions (R14, R18) driven by the test
 * clock; and SMTP failures retried.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatAmount } from "../../src/notify/catalog.js";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, offer, type TestServer, type TestUser } from "../support/server.js";
import { startSmtp, type ReceivedMail, type SmtpSink } from "./support.js";

const PUBLIC_URL = "https://escrow.example.test";

describe("amounts in emails", () => {
  it("R3: minor units are written in the contract currency with its ISO 4217 exponent", () => {
    expect(formatAmount(1_234_567, "USD")).toBe("$12,345.67");
    expect(formatAmount(5_000, "JPY")).toBe("¥5,000");
    expect(formatAmount(1_234, "BHD")).toMatch(/BHD\s1\.234/);
    expect(formatAmount(10_000_000_000, "EUR")).toBe("€100,000,000.00");
  });
});

describe.each(DIALECTS)("email notifications over SMTP (%s)", (dialect) => {
  let smtp: SmtpSink;
  let server: TestServer;
  let client: TestUser;
  let freelancer: TestUser;

  beforeEach(async () => {
    smtp = await startSmtp();
    server = await createTestServer(dialect, {
      SMTP_URL: smtp.url,
      ESCROW_MAIL_FROM: "Escrow <notify@escrow.example.test>",
      ESCROW_PUBLIC_URL: PUBLIC_URL,
    });
    client = await server.signUp("Carol");
    freelancer = await server.signUp("Frank", { card: null });
  });
  afterEach(async () => {
    await server.close();
    await smtp.close();
  });

  const call = (user: TestUser, method: string, url: string, body?: unknown) =>
    server.request(method, url, { token: user.token, body });

  /** Runs a dispatch pass and returns the emails it sent. */
  async function sent(): Promise<ReceivedMail[]> {
    const before = smtp.mails.length;
    await server.app.dispatcher.runOnce();
    return smtp.mails.slice(before);
  }
  async function advanceAndCollect(days: number): Promise<ReceivedMail[]> {
    const before = smtp.mails.length;
    await server.advanceDays(days);
    return smtp.mails.slice(before);
  }
  const summary = (mails: ReceivedMail[]) =>
    mails
      .map((m) => `${m.to.join(",")} | ${m.subject}`)
      .sort()
      .join("\n");

  it("R14, R18, R22: a whole contract lifecycle mails each step to the parties who did not act, reminders included", async () => {
    const contract = await offer(server, client, freelancer, [10_000, 20_000]);
    const [m1, m2] = contract.milestones;
    const link = `${PUBLIC_URL}/contracts/${contract.id}`;

    // The offer: to the freelancer only (the client acted); the first funding is part of it.
    let mails = await sent();
    expect(summary(mails)).toBe(`${freelancer.email} | [Escrow] New offer: Logo and website`);
    const offerMail = mails[0]!;
    expect(offerMail.from).toBe("notify@escrow.example.test");
    expect(offerMail.body).toContain("Hello Frank");
    expect(offerMail.body).toContain("Next step: Review the offer, then accept or decline it.");
    expect(offerMail.body).toContain(link);
    expect(offerMail.body).toContain(`<a href="${link}">`);

    await call(freelancer, "POST", `/v1/contracts/${contract.id}/accept`);
    expect(summary(await sent())).toBe(
      `${client.email} | [Escrow] Offer accepted: Logo and website`,
    );

    await call(freelancer, "POST", `/v1/milestones/${m1.id}/submit`, { message: "Logo v1" });
    mails = await sent();
    expect(summary(mails)).toBe(
      `${client.email} | [Escrow] Work submitted: Milestone 1 (Logo and website)`,
    );
    expect(mails[0]!.body).toContain("approve it or request changes by");

    // R14: reminders 3 days and 1 day before the automatic approval, to both parties (the
    // system acted); then the automatic release, to both.
    mails = await advanceAndCollect(11);
    expect(summary(mails)).toBe(
      [
        `${client.email} | [Escrow] Reminder: automatic approval in 3 days (Logo and website)`,
        `${freelancer.email} | [Escrow] Reminder: automatic approval in 3 days (Logo and website)`,
      ].join("\n"),
    );
    expect(mails.find((m) => m.to[0] === client.email)!.body).toContain(
      "Next step: Approve the work or request changes before then.",
    );
    expect(mails[0]!.body).toContain("$100.00");
    mails = await advanceAndCollect(2);
    expect(summary(mails)).toContain("automatic approval in 1 day (Logo and website)");
    expect(mails).toHaveLength(2);
    mails = await advanceAndCollect(1);
    expect(summary(mails)).toBe(
      [
        `${client.email} | [Escrow] Payment released automatically: $100.00 (Logo and website)`,
        `${freelancer.email} | [Escrow] Payment released automatically: $100.00 (Logo and website)`,
      ].join("\n"),
    );

    // Funding, changes requested, and a manual release of a different amount.
    await call(client, "POST", `/v1/milestones/${m2.id}/fund`);
    mails = await sent();
    expect(summary(mails)).toBe(
      `${freelancer.email} | [Escrow] Milestone funded: Milestone 2 (Logo and website)`,
    );
    expect(mails[0]!.body).toContain("$200.00 is in escrow");
    await call(freelancer, "POST", `/v1/milestones/${m2.id}/submit`, { message: "Site v1" });
    await call(client, "POST", `/v1/milestones/${m2.id}/request-changes`, {
      message: "Bigger logo",
    });
    mails = await sent();
    expect(summary(mails)).toBe(
      [
        `${client.email} | [Escrow] Work submitted: Milestone 2 (Logo and website)`,
        `${freelancer.email} | [Escrow] Changes requested: Milestone 2 (Logo and website)`,
      ].join("\n"),
    );
    expect(mails.find((m) => m.to[0] === freelancer.email)!.body).toContain("Bigger logo");
    await call(freelancer, "POST", `/v1/milestones/${m2.id}/submit`, { message: "Site v2" });
    await call(client, "POST", `/v1/milestones/${m2.id}/approve`, { amount: 15_000 });
    mails = await sent();
    expect(summary(mails)).toContain(
      `${freelancer.email} | [Escrow] Payment released: $150.00 (Logo and website)`,
    );
    expect(
      mails.every(
        (m) => !m.subject.startsWith("[Escrow] Payment released") || m.to[0] !== client.email,
      ),
    ).toBe(true);

    // R18: the client ends the contract and asks for the rest back; the freelancer does not
    // answer: reminders 3 and 1 days before, then the automatic refund.
    await call(client, "POST", `/v1/contracts/${contract.id}/end`, { reason: "Done" });
    expect(summary(await sent())).toBe(
      `${freelancer.email} | [Escrow] Contract ended: Logo and website`,
    );
    const refund = await call(client, "POST", `/v1/contracts/${contract.id}/refund-requests`, {
      reason: "Unused",
    });
    expect(refund.status).toBe(201);
    mails = await sent();
    expect(summary(mails)).toBe(
      `${freelancer.email} | [Escrow] Refund requested: $50.00 (Logo and website)`,
    );
    expect(mails[0]!.body).toContain("Approve or dispute it by");
    mails = await advanceAndCollect(4);
    expect(summary(mails)).toBe(
      [
        `${client.email} | [Escrow] Reminder: refund approved automatically in 3 days (Logo and website)`,
        `${freelancer.email} | [Escrow] Reminder: refund approved automatically in 3 days (Logo and website)`,
      ].join("\n"),
    );
    expect(mails.find((m) => m.to[0] === freelancer.email)!.body).toContain(
      "Next step: Approve or dispute the refund before then.",
    );
    mails = await advanceAndCollect(2);
    expect(summary(mails)).toContain("refund approved automatically in 1 day");
    mails = await advanceAndCollect(1);
    expect(summary(mails)).toBe(
      [
        `${client.email} | [Escrow] Refund approved automatically: $50.00 (Logo and website)`,
        `${freelancer.email} | [Escrow] Refund approved automatically: $50.00 (Logo and website)`,
      ].join("\n"),
    );
    // Every email links to the contract in the web app.
    expect(smtp.mails.every((m) => m.body.includes(link))).toBe(true);
    expect(await server.violations()).toEqual([]);
  });

  it("R19, R22: a dispute opened mails the client and the dispute team, its resolution both parties, in the contract currency", async () => {
    const staff = await server.staff();
    const colleague = await server.staff();
    const contract = await offer(server, client, freelancer, [123_456], "JPY");
    await call(freelancer, "POST", `/v1/contracts/${contract.id}/accept`);
    await call(client, "POST", `/v1/contracts/${contract.id}/end`, {});
    const refund = await call(client, "POST", `/v1/contracts/${contract.id}/refund-requests`, {});
    const disputed = await call(
      freelancer,
      "POST",
      `/v1/refund-requests/${refund.body.id}/dispute`,
      {
        reason: "The work was done",
      },
    );
    const opened = (await sent()).filter((m) => m.subject.includes("Dispute opened"));
    expect(summary(opened)).toBe(
      [client.email, colleague.email, staff.email]
        .map((to) => `${to} | [Escrow] Dispute opened: ¥123,456 (Logo and website)`)
        .sort()
        .join("\n"),
    );
    const toStaff = opened.find((m) => m.to[0] === staff.email)!;
    expect(toStaff.body).toContain("Frank disputed the refund of ¥123,456");
    expect(toStaff.body).toContain("in the dispute console");
    expect(toStaff.body).toContain(
      `Open the dispute: ${PUBLIC_URL}/staff/disputes/${disputed.body.disputeId}`,
    );
    const toClient = opened.find((m) => m.to[0] === client.email)!;
    expect(toClient.body).toContain("The dispute team will decide how the money is split");
    expect(toClient.body).toContain(`Open the contract: ${PUBLIC_URL}/contracts/${contract.id}`);
    await call(staff, "POST", `/v1/disputes/${disputed.body.disputeId}/resolve`, {
      refundAmount: 23_456,
      releaseAmount: 100_000,
      reason: "Most of it was delivered",
    });
    const mails = await sent();
    expect(summary(mails)).toBe(
      [
        `${client.email} | [Escrow] Dispute resolved (Logo and website)`,
        `${freelancer.email} | [Escrow] Dispute resolved (Logo and website)`,
      ].join("\n"),
    );
    expect(mails[0]!.body).toContain("¥23,456 refunded to the client, ¥100,000 released");
  });

  it("SMTP failures are retried on the server's clock until the mail goes through", async () => {
    smtp.failing = true;
    await offer(server, client, freelancer);
    expect(await sent()).toEqual([]);
    // Not due again before the first retry delay.
    await server.advanceDays(30 / 86_400);
    expect(smtp.mails).toEqual([]);
    smtp.failing = false;
    const mails = await advanceAndCollect(60 / 86_400);
    expect(summary(mails)).toBe(`${freelancer.email} | [Escrow] New offer: Logo and website`);
    // Delivered once: nothing more on later passes.
    expect(await advanceAndCollect(1)).toEqual([]);
  });
});

describe("without SMTP", () => {
  it("R22: emails are written to the log, not dropped", async () => {
    const lines: string[] = [];
    const { createMailer } = await import("../../src/notify/mailer.js");
    const mailer = createMailer({ smtpUrl: null, from: "Escrow <a@b.test>" }, {
      info: (obj: unknown, msg?: string) => void lines.push(JSON.stringify({ obj, msg })),
    } as never);
    await mailer.send({ to: "x@example.test", subject: "Hi", text: "Body", html: "<p>Body</p>" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("x@example.test");
    expect(lines[0]).toContain("SMTP_URL is not set");
  });
});
