/**
 * One webhook call: POST the exact body with its signature, to an address checked at connect
 * time (address-guard.ts), without following redirects, with a timeout. Any answer but 2xx is a
 * failure the dispatcher retries.
 */
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { guardedLookup, isBlockedAddress, type LookupFunction } from "./address-guard.js";
import { SIGNATURE_HEADER, signPayload } from "./verify.js";

export interface WebhookCall {
  readonly url: string;
  readonly secret: string;
  readonly body: string;
  readonly eventId: string;
}

export type CallOutcome =
  | { readonly ok: true; readonly statusCode: number }
  | { readonly ok: false; readonly statusCode: number | null; readonly error: string };

export interface WebhookSenderOptions {
  /** ESCROW_WEBHOOKS_ALLOW_PRIVATE=1: http and private addresses allowed (development, tests). */
  readonly allowPrivate: boolean;
  readonly timeoutMs?: number;
  /** Real time for the signature's `t`, whatever clock the rules run on. */
  readonly wallClock?: () => number;
  /** The resolver under the guard (tests substitute one). */
  readonly lookup?: LookupFunction;
}

export class WebhookSender {
  private readonly lookup: LookupFunction | undefined;

  constructor(private readonly options: WebhookSenderOptions) {
    this.lookup = options.allowPrivate ? options.lookup : guardedLookup(options.lookup);
  }

  send(call: WebhookCall, signal?: AbortSignal): Promise<CallOutcome> {
    let url: URL;
    try {
      url = new URL(call.url);
    } catch {
      return Promise.resolve({ ok: false, statusCode: null, error: "invalid url" });
    }
    const secure = url.protocol === "https:";
    if (!secure && !(this.options.allowPrivate && url.protocol === "http:"))
      return Promise.resolve({ ok: false, statusCode: null, error: "refused: url is not https" });
    const host = url.hostname.replace(/^\[|\]$/g, "");
    // Literal addresses never reach the lookup: check them here.
    if (!this.options.allowPrivate && net.isIP(host) !== 0 && isBlockedAddress(host)) {
      return Promise.resolve({
        ok: false,
        statusCode: null,
        error: `refused to connect to ${host}: not a public address`,
      });
    }
    const now = (this.options.wallClock ?? Date.now)();
    const headers = {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(call.body)),
      "user-agent": "escrow-webhooks/1",
      [SIGNATURE_HEADER]: signPayload(call.secret, call.body, now),
      "escrow-event-id": call.eventId,
    };
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    return new Promise<CallOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: CallOutcome) => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      const request = (secure ? https : http).request(
        url,
        {
          method: "POST",
          headers,
          timeout: timeoutMs,
          agent: false,
          ...(this.lookup ? { lookup: this.lookup } : {}),
          ...(signal ? { signal } : {}),
        },
        (response) => {
          const status = response.statusCode ?? 0;
          // The answer's body is not needed: read a little and drop it.
          response.resume();
          response.on("end", () => undefined);
          response.on("error", () => undefined);
          settle(
            status >= 200 && status < 300
              ? { ok: true, statusCode: status }
              : {
                  ok: false,
                  statusCode: status,
                  error:
                    status >= 300 && status < 400
                      ? `answered ${status} (redirects are not followed)`
                      : `answered ${status}`,
                },
          );
        },
      );
      request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on("error", (error) =>
        settle({ ok: false, statusCode: null, error: error.message || String(error) }),
      );
      request.end(call.body);
    });
  }
}
