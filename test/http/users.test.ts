/** Users over HTTP (API.md "Users"): sign-up, login, logout, me, throttling, cookies, cards. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, offer, type TestServer } from "../support/server.js";
import { caller, expectError, loginFrom, moneyOf, postFrom, type Call } from "./http-helpers.js";

const PASSWORD = "correct horse battery";
let unique = 0;
const email = (name: string) => `${name.toLowerCase()}.${++unique}.${Date.now()}@example.test`;

/** The cookies a response sets, by name, with their attributes as one lower-case string. */
function cookiesOf(headers: Record<string, unknown>) {
  const raw = headers["set-cookie"];
  const lines = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as string[];
  const cookies = new Map<string, { value: string; attributes: string }>();
  for (const line of lines) {
    const [pair, ...attributes] = line.split(";");
    const at = pair!.indexOf("=");
    cookies.set(pair!.slice(0, at).trim(), {
      value: pair!.slice(at + 1).trim(),
      attributes: attributes.join(";").toLowerCase(),
    });
  }
  return cookies;
}

describe.each(DIALECTS)("users over HTTP (%s)", (dialect) => {
  let server: TestServer;
  let call: Call;
  beforeAll(async () => {
    server = await createTestServer(dialect);
    call = caller(server);
  });
  afterAll(() => server.close());

  describe("POST /v1/auth/signup", () => {
    it("R1: anyone signs up with email and password and gets a user and a working token (201)", async () => {
      const address = email("Signer");
      const answer = await call(undefined, "POST", "/v1/auth/signup", {
        email: address,
        password: PASSWORD,
        name: "Sign Er",
      });
      expect(answer.status).toBe(201);
      expect(answer.body.user).toMatchObject({ email: address, name: "Sign Er", isStaff: false });
      expect(typeof answer.body.user.id).toBe("string");
      expect(typeof answer.body.token).toBe("string");
      const me = await call(answer.body.token, "GET", "/v1/me");
      expect(me.body).toEqual({
        id: answer.body.user.id,
        email: address,
        name: "Sign Er",
        isStaff: false,
      });
    });

    it("R1: an email that is already registered is 409 email_taken, whatever its case", async () => {
      const address = email("twice");
      const first = await call(undefined, "POST", "/v1/auth/signup", {
        email: address,
        password: PASSWORD,
        name: "A",
      });
      expect(first.status).toBe(201);
      const again = await call(undefined, "POST", "/v1/auth/signup", {
        email: address.toUpperCase(),
        password: "another password",
        name: "B",
      });
      expectError(again, 409, "email_taken");
    });

    it("R1: a bad sign-up body is 400 validation_failed naming the field", async () => {
      const base = { email: email("bad"), password: PASSWORD, name: "Bad" };
      expectError(
        await call(undefined, "POST", "/v1/auth/signup", { ...base, email: "not-an-email" }),
        400,
        "validation_failed",
        "email",
      );
      expectError(
        await call(undefined, "POST", "/v1/auth/signup", { ...base, password: "short" }),
        400,
        "validation_failed",
        "password",
      );
      expectError(
        await call(undefined, "POST", "/v1/auth/signup", { email: base.email, password: PASSWORD }),
        400,
        "validation_failed",
        "name",
      );
      expectError(
        await call(undefined, "POST", "/v1/auth/signup", { ...base, isStaff: true }),
        400,
        "validation_failed",
        "isStaff",
      );
      // Nothing was created by the refused attempts: the email is still free.
      expect((await call(undefined, "POST", "/v1/auth/signup", base)).status).toBe(201);
    });

    it("R1: staff is never given by sign-up: a signed-up user is not staff, an operator-made one is", async () => {
      const user = await server.signUp("NotStaff");
      const me = await call(user, "GET", "/v1/me");
      expect(me.body.isStaff).toBe(false);
      const staff = await server.staff();
      expect((await call(staff, "GET", "/v1/me")).body.isStaff).toBe(true);
    });
  });

  describe("POST /v1/auth/login, logout, GET /v1/me", () => {
    it("R1: login with the right password answers 200 {user, token}; a wrong password or unknown email is 401", async () => {
      const user = await server.signUp("Login");
      const ok = await call(undefined, "POST", "/v1/auth/login", {
        email: user.email,
        password: PASSWORD,
      });
      expect(ok.status).toBe(200);
      expect(ok.body.user).toEqual({
        id: user.id,
        email: user.email,
        name: "Login",
        isStaff: false,
      });
      expect((await call(ok.body.token, "GET", "/v1/me")).body.id).toBe(user.id);
      expectError(
        await call(undefined, "POST", "/v1/auth/login", {
          email: user.email,
          password: "wrong password",
        }),
        401,
        "unauthenticated",
      );
      expectError(
        await call(undefined, "POST", "/v1/auth/login", {
          email: email("nobody"),
          password: PASSWORD,
        }),
        401,
        "unauthenticated",
      );
    });

    it("R1: GET /v1/me without a token, or with an unknown one, is 401 unauthenticated", async () => {
      expectError(await call(undefined, "GET", "/v1/me"), 401, "unauthenticated");
      expectError(await call("not-a-real-token", "GET", "/v1/me"), 401, "unauthenticated");
    });

    it("R1: logout answers 204 and that token gives 401 afterwards, while another token of the same user still works", async () => {
      const user = await server.signUp("Logout");
      const second = await call(undefined, "POST", "/v1/auth/login", {
        email: user.email,
        password: PASSWORD,
      });
      expect(second.status).toBe(200);
      const out = await call(user, "POST", "/v1/auth/logout");
      expect(out.status).toBe(204);
      expect(out.text).toBe("");
      expectError(await call(user, "GET", "/v1/me"), 401, "unauthenticated");
      expectError(await call(user, "POST", "/v1/auth/logout"), 401, "unauthenticated");
      const still = await call(second.body.token, "GET", "/v1/me");
      expect(still.status).toBe(200);
      expect(still.body.id).toBe(user.id);
    });
  });

  describe("login throttling", () => {
    it("R1: after repeated failures on one account it answers 429 rate_limited with Retry-After, from any address, even with the right password; other accounts are not affected", async () => {
      const victim = await server.signUp("Victim");
      const other = await server.signUp("Bystander");
      let last = 0;
      for (let i = 0; i < 10; i++) {
        last = (
          await loginFrom(server, `10.1.0.${i + 1}`, {
            email: victim.email,
            password: "wrong password",
          })
        ).status;
      }
      expect(last).toBe(401);
      const throttled = await loginFrom(server, "10.1.0.200", {
        email: victim.email,
        password: PASSWORD,
      });
      expectError(throttled, 429, "rate_limited");
      const retryAfter = Number(throttled.headers["retry-after"]);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      // Per account: another account from the very address that failed last still logs in.
      const fine = await loginFrom(server, "10.1.0.10", { email: other.email, password: PASSWORD });
      expect(fine.status).toBe(200);
    });

    it("R1: after repeated failures from one address it answers 429 there for every account, while another address still logs in", async () => {
      const users = [await server.signUp("IpA"), await server.signUp("IpB")];
      const fresh = await server.signUp("IpFresh");
      // 100 failures from one address, spread over many accounts so no account reaches its own limit.
      for (let i = 0; i < 100; i++) {
        const answer = await loginFrom(server, "10.2.0.1", {
          email: `ghost${i % 20}.${unique}@example.test`,
          password: "nope nope",
        });
        expect(answer.status).toBe(401);
      }
      const blocked = await loginFrom(server, "10.2.0.1", {
        email: fresh.email,
        password: PASSWORD,
      });
      expectError(blocked, 429, "rate_limited");
      expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
      for (const user of users) {
        expect(
          (await loginFrom(server, "10.2.0.2", { email: user.email, password: PASSWORD })).status,
        ).toBe(200);
      }
      expect(
        (await loginFrom(server, "10.2.0.2", { email: fresh.email, password: PASSWORD })).status,
      ).toBe(200);
    });
  });

  describe("sign-up throttling", () => {
    let limited: TestServer;
    beforeAll(async () => {
      limited = await createTestServer(dialect, { ESCROW_SIGNUP_LIMIT: "3" });
    });
    afterAll(() => limited.close());
    const signUpFrom = (remote: string, name: string) =>
      postFrom(limited, remote, "/v1/auth/signup", {
        email: email(name),
        password: PASSWORD,
        name,
      });

    it("R1: past ESCROW_SIGNUP_LIMIT sign-ups in an hour from one address it answers 429 rate_limited with Retry-After and creates no account; other addresses still sign up", async () => {
      for (let i = 0; i < 3; i++)
        expect((await signUpFrom("10.3.0.1", `Early${i}`)).status).toBe(201);
      const late = { email: email("Late"), password: PASSWORD, name: "Late" };
      const refused = await postFrom(limited, "10.3.0.1", "/v1/auth/signup", late);
      expectError(refused, 429, "rate_limited");
      const retryAfter = Number(refused.headers["retry-after"]);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60 * 60);
      // Nothing was created: the email cannot log in, and is still free from another address.
      expectError(
        await loginFrom(limited, "10.3.0.9", { email: late.email, password: PASSWORD }),
        401,
        "unauthenticated",
      );
      expect((await postFrom(limited, "10.3.0.2", "/v1/auth/signup", late)).status).toBe(201);
      expect((await signUpFrom("10.3.0.1", "StillLate")).status).toBe(429);
    });

    it("R1: an IPv6 client is counted by its /64: new addresses in the same block buy no new sign-ups", async () => {
      for (let i = 1; i <= 3; i++)
        expect((await signUpFrom(`2001:db8:77:1::${i}`, `Six${i}`)).status).toBe(201);
      expectError(await signUpFrom("2001:db8:77:1:ffff::42", "SixMore"), 429, "rate_limited");
      expect((await signUpFrom("2001:db8:77:2::1", "NextBlock")).status).toBe(201);
    });

    it("R1: a sign-up refused for its shape does not count against the address", async () => {
      for (let i = 0; i < 5; i++) {
        const bad = await postFrom(limited, "10.3.1.1", "/v1/auth/signup", {
          email: "not-an-email",
          password: PASSWORD,
          name: "Shape",
        });
        expectError(bad, 400, "validation_failed");
      }
      for (let i = 0; i < 3; i++)
        expect((await signUpFrom("10.3.1.1", `Shape${i}`)).status).toBe(201);
    });
  });

  describe("cookie sessions", () => {
    it("R1, R2: login sets an HttpOnly escrow_session cookie; a cookie-authenticated POST needs the escrow_csrf value in X-CSRF-Token (403 without)", async () => {
      const user = await server.signUp("Cookie", { card: null });
      const login = await call(undefined, "POST", "/v1/auth/login", {
        email: user.email,
        password: PASSWORD,
      });
      const cookies = cookiesOf(login.headers);
      const session = cookies.get("escrow_session");
      const csrf = cookies.get("escrow_csrf");
      expect(session?.value).toBe(login.body.token);
      expect(session?.attributes).toContain("httponly");
      expect(csrf?.value).toBeTruthy();
      expect(csrf?.attributes).not.toContain("httponly");
      const cookieHeader = `escrow_session=${session!.value}; escrow_csrf=${csrf!.value}`;

      const me = await server.request("GET", "/v1/me", { headers: { cookie: cookieHeader } });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(user.id);

      const without = await server.request("POST", "/v1/payment-methods", {
        headers: { cookie: cookieHeader },
        body: { token: "tok_visa" },
      });
      expectError(without, 403, "forbidden");
      const wrong = await server.request("POST", "/v1/payment-methods", {
        headers: { cookie: cookieHeader, "x-csrf-token": "not-the-value" },
        body: { token: "tok_visa" },
      });
      expectError(wrong, 403, "forbidden");
      // The refused writes changed nothing.
      expect((await call(user, "GET", "/v1/payment-methods")).body.data).toEqual([]);

      const withToken = await server.request("POST", "/v1/payment-methods", {
        headers: { cookie: cookieHeader, "x-csrf-token": csrf!.value },
        body: { token: "tok_visa" },
      });
      expect(withToken.status).toBe(201);
      expect((await call(user, "GET", "/v1/payment-methods")).body.data).toHaveLength(1);
    });
  });

  describe("payment methods", () => {
    it("R5: POST /v1/payment-methods answers 201 {id, brand, last4, isDefault}; the newest is the default and listed first", async () => {
      const user = await server.signUp("Cards", { card: null });
      const visa = await call(user, "POST", "/v1/payment-methods", { token: "tok_visa" });
      expect(visa.status).toBe(201);
      expect(visa.body).toMatchObject({ brand: "visa", last4: "4242", isDefault: true });
      const declining = await call(user, "POST", "/v1/payment-methods", {
        token: "tok_chargeDeclined",
      });
      expect(declining.status).toBe(201);
      expect(declining.body).toMatchObject({ brand: "visa", last4: "0002", isDefault: true });

      const list = await call(user, "GET", "/v1/payment-methods");
      expect(list.status).toBe(200);
      expect(list.body.hasMore).toBe(false);
      expect(list.body.data.map((p: any) => [p.id, p.isDefault])).toEqual([
        [declining.body.id, true],
        [visa.body.id, false],
      ]);
      const page = await call(user, "GET", "/v1/payment-methods?limit=1");
      expect(page.body).toMatchObject({ hasMore: true, data: [{ id: declining.body.id }] });

      // The default is the one charged: the newest card declines, so the offer is refused.
      const freelancer = await server.signUp("CardsFreelancer", { card: null });
      const refused = await call(user, "POST", "/v1/contracts", {
        freelancerEmail: freelancer.email,
        title: "Charged to the default card",
        currency: "USD",
        milestones: [{ title: "One", amount: 500 }],
      });
      expectError(refused, 402, "payment_failed");
      await call(user, "POST", "/v1/payment-methods", { token: "tok_visa" });
      const contract = await offer(server, user, freelancer, [500]);
      expect(contract.status).toBe("offered");
      expect(await moneyOf(server, user)).toEqual([["escrow_deposit", -500]]);
    });

    it("R5: an unknown payment token is 400 validation_failed on field token, and nothing is added", async () => {
      const user = await server.signUp("BadCard", { card: null });
      expectError(
        await call(user, "POST", "/v1/payment-methods", { token: "tok_nonsense" }),
        400,
        "validation_failed",
        "token",
      );
      expectError(
        await call(user, "POST", "/v1/payment-methods", {}),
        400,
        "validation_failed",
        "token",
      );
      expect((await call(user, "GET", "/v1/payment-methods")).body).toEqual({
        data: [],
        hasMore: false,
      });
      expectError(await call(undefined, "GET", "/v1/payment-methods"), 401, "unauthenticated");
    });

    it("R2: a user sees only their own payment methods", async () => {
      const one = await server.signUp("OwnCardsA");
      const two = await server.signUp("OwnCardsB", { card: null });
      expect((await call(one, "GET", "/v1/payment-methods")).body.data).toHaveLength(1);
      expect((await call(two, "GET", "/v1/payment-methods")).body.data).toEqual([]);
    });
  });
});
