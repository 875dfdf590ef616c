/**
 * Webhook signatures (API.md): header `Escrow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(
 * secret, "<t>.<raw body>")>`. `signPayload` is what the server sends; `verifyEscrowSignature`
 * is for receivers (see docs/NOTIFICATIONS.md for an example).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "Escrow-Signature";

export function signature(secret: string, timestamp: number, rawBody: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex");
}

/** The header value for `rawBody` signed at `nowMs` (real wall-clock time). */
export function signPayload(secret: string, rawBody: string, nowMs: number = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${signature(secret, t, rawBody)}`;
}

export type VerifyResult =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: "malformed" | "too_old" | "mismatch" };

/**
 * Checks an `Escrow-Signature` header against the raw body (exactly the bytes received): the
 * HMAC must match and `t` must be within `toleranceSeconds` of `nowMs` (replay protection).
 */
export function verifyEscrowSignature(
  secret: string,
  header: string | undefined,
  rawBody: string | Buffer,
  toleranceSeconds = 300,
  nowMs: number = Date.now(),
): VerifyResult {
  if (!header) return { ok: false, reason: "malformed" };
  let timestamp: number | null = null;
  const candidates: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && value && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && value && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === null || candidates.length === 0) return { ok: false, reason: "malformed" };
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds)
    return { ok: false, reason: "too_old" };
  const body = typeof rawBody === "string" ? rawBody : rawBody.toString("utf8");
  const expected = Buffer.from(signature(secret, timestamp, body), "hex");
  const matches = candidates.some((c) => timingSafeEqual(Buffer.from(c, "hex"), expected));
  return matches ? { ok: true, timestamp } : { ok: false, reason: "mismatch" };
}
