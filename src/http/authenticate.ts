/**
 * Who is calling: a bearer token (API clients) or the session cookie (the web app). A write
 * authenticated by cookie must carry the CSRF token from the readable `escrow_csrf` cookie in
 * the `X-CSRF-Token` header (double submit); a bearer token needs none, since a browser never
 * attaches it on its own.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { User } from "../app/ports.js";
import { HttpFailure } from "./errors.js";
import type { Services } from "./services.js";

export const SESSION_COOKIE = "escrow_session";
export const CSRF_COOKIE = "escrow_csrf";

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function authenticate(
  services: Services,
  request: FastifyRequest,
): Promise<(User & { sessionId: string }) | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S{1,200})$/i.exec(header);
    if (!match) return null;
    return (await services.sessions.authenticate(match[1]!, services.wallClock())) ?? null;
  }
  const cookies =
    (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies ?? {};
  const token = cookies[SESSION_COOKIE];
  if (!token) return null;
  const user = await services.sessions.authenticate(token, services.wallClock());
  if (!user) return null;
  if (request.method !== "GET" && request.method !== "HEAD") {
    const sent = request.headers["x-csrf-token"];
    const expected = cookies[CSRF_COOKIE];
    if (typeof sent !== "string" || !expected || !sameSecret(sent, expected)) {
      throw new HttpFailure(
        403,
        "forbidden",
        "missing or wrong X-CSRF-Token header for a cookie-authenticated request",
      );
    }
  }
  return user;
}
