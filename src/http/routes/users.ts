/** Sign-up, login, logout, the current user, and payment methods (R1, R5). */
import type { FastifyReply } from "fastify";
import "@fastify/cookie";
import { randomBytes } from "node:crypto";
import { addPaymentMethod } from "../../app/use-cases/add-payment-method.js";
import { CSRF_COOKIE, SESSION_COOKIE } from "../authenticate.js";
import { HttpFailure } from "../errors.js";
import { addRoute, type RegisteredRoute } from "../route.js";
import {
  EmptyBody,
  LoginBody,
  PageQuery,
  PasswordResetBody,
  PasswordResetConfirmBody,
  PaymentMethodBody,
  SignupBody,
} from "../schemas.js";
import type { Services } from "../services.js";
import type { FastifyInstance } from "fastify";
import type { User } from "../../app/ports.js";
import type { LoginOutcome } from "../../auth/accounts.js";
import type { Throttled } from "../../auth/rate-limit.js";
import { listed, paging } from "./helpers.js";

export function userView(user: User) {
  return { id: user.id, email: user.email, name: user.name, isStaff: user.isStaff };
}

/** 429 with the seconds to wait in `Retry-After`. */
function throttled(result: Throttled): HttpFailure {
  return new HttpFailure(429, result.code, result.message, undefined, {
    "retry-after": String(result.retryAfter),
  });
}

/** A new session's answer: the session cookies set, and the user with the bearer token. */
function loggedIn(services: Services, reply: FastifyReply, outcome: LoginOutcome, status: number) {
  setSessionCookies(services, reply, outcome.token);
  return { status, body: { user: userView(outcome.user), token: outcome.token } };
}

/** The web app keeps the token in an HttpOnly cookie, with a readable CSRF token beside it. */
function setSessionCookies(services: Services, reply: FastifyReply, token: string): void {
  const secure = services.config.publicUrl.startsWith("https:");
  const maxAge = services.config.sessionMaxHours * 3600;
  const base = { path: "/", sameSite: "lax" as const, secure, maxAge };
  void reply.setCookie(SESSION_COOKIE, token, { ...base, httpOnly: true });
  void reply.setCookie(CSRF_COOKIE, randomBytes(24).toString("base64url"), {
    ...base,
    httpOnly: false,
  });
}

export function userRoutes(
  app: FastifyInstance,
  services: Services,
  table: RegisteredRoute[],
): void {
  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/auth/signup",
    summary: "Sign up with email and password (R1)",
    tags: ["users"],
    access: { kind: "public" },
    body: SignupBody,
    handler: async ({ body, reply, request }) => {
      const result = await services.accounts.signUp(body, request.ip);
      if (!result.ok) throw "retryAfter" in result ? throttled(result) : HttpFailure.of(result);
      return loggedIn(services, reply, result.value, 201);
    },
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/auth/login",
    summary: "Log in; returns a bearer token",
    tags: ["users"],
    access: { kind: "public" },
    body: LoginBody,
    handler: async ({ body, reply, request }) => {
      const result = await services.accounts.logIn(body.email, body.password, request.ip);
      if (!result.ok) {
        throw "retryAfter" in result
          ? throttled(result)
          : new HttpFailure(401, result.code, result.message);
      }
      return loggedIn(services, reply, result.value, 200);
    },
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/auth/password-reset",
    summary:
      "Email a password reset link, if the address has an account; 202 either way (an addition)",
    tags: ["users"],
    access: { kind: "public" },
    body: PasswordResetBody,
    handler: async ({ body, request }) => {
      const result = await services.passwordResets.request(body.email, request.ip);
      if (!result.ok) throw throttled(result);
      return { status: 202, body: {} };
    },
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/auth/password-reset/confirm",
    summary:
      "Set a new password with the token of a reset link; ends every session and logs in (an addition)",
    tags: ["users"],
    access: { kind: "public" },
    body: PasswordResetConfirmBody,
    handler: async ({ body, reply, request }) => {
      const result = await services.passwordResets.confirm(body.token, body.password, request.ip);
      if (!result.ok) throw "retryAfter" in result ? throttled(result) : HttpFailure.of(result);
      return loggedIn(services, reply, result.value, 200);
    },
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/auth/logout",
    summary: "Log out: this token stops working",
    tags: ["users"],
    access: { kind: "user" },
    body: EmptyBody,
    handler: async ({ user, reply }) => {
      await services.sessions.revoke(user!.sessionId, services.wallClock());
      void reply.clearCookie(SESSION_COOKIE, { path: "/" }).clearCookie(CSRF_COOKIE, { path: "/" });
      return { status: 204 };
    },
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/me",
    summary: "The current user",
    tags: ["users"],
    access: { kind: "user" },
    handler: ({ user }) => Promise.resolve({ status: 200, body: userView(user!) }),
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/payment-methods",
    summary:
      "Add a card by payment token (sandbox: tok_visa, tok_chargeDeclined); the newest is the default",
    tags: ["payment methods"],
    access: { kind: "user" },
    body: PaymentMethodBody,
    handler: ({ command, caller, body }) =>
      command(
        (ctx) => addPaymentMethod(ctx, caller.userId, body.token),
        (method) =>
          Promise.resolve({
            status: 201,
            body: {
              id: method.id,
              brand: method.brand,
              last4: method.last4,
              isDefault: true,
              createdAt: new Date(method.createdAt).toISOString(),
            },
          }),
      ),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/payment-methods",
    summary: "Your payment methods, newest (the default) first",
    tags: ["payment methods"],
    access: { kind: "user" },
    querystring: PageQuery,
    handler: async ({ caller, query }) => ({
      status: 200,
      body: await listed(() => services.lists.paymentMethods(caller.userId, paging(query))),
    }),
  });
}
