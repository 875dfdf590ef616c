/**
 * Real receivers for the notification tests: an SMTP server (smtp-server) and an HTTP webhook
 * receiver (node:http on 127.0.0.1) whose answer the test controls.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  /** The whole message with headers unfolded and quoted-printable decoded. */
  readonly body: string;
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= and =?UTF-8?B?...?=), as nodemailer writes them. */
function decodeWords(header: string): string {
  return header
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?utf-8\?([qb])\?(.*?)\?=/gi, (_m, kind: string, text: string) =>
      kind.toLowerCase() === "b"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(
            text
              .replace(/_/g, " ")
              .replace(/=([0-9A-F]{2})/gi, (_h, hex: string) =>
                String.fromCharCode(parseInt(hex, 16)),
              ),
            "latin1",
          ).toString("utf8"),
    );
}

/** Unfolds headers and decodes quoted-printable, enough to search the text of a message. */
function decode(raw: string): { subject: string; body: string } {
  const unfolded = raw.replace(/\r?\n[ \t]+/g, " ");
  const subject = decodeWords(/^Subject: (.*)$/im.exec(unfolded)?.[1]?.trim() ?? "");
  const body = Buffer.from(
    raw
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");
  return { subject, body };
}

export interface SmtpSink {
  readonly url: string;
  readonly mails: ReceivedMail[];
  /** Makes the server refuse messages (a 451 temporary failure) while true. */
  failing: boolean;
  /** The mails to `address`, once at least `count` have arrived (they may come after an answer). */
  mailsTo(address: string, count?: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startSmtp(): Promise<SmtpSink> {
  const sink = { mails: [] as ReceivedMail[], failing: false };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (sink.failing) {
          const error = Object.assign(new Error("try again later"), { responseCode: 451 });
          return callback(error);
        }
        const { subject, body } = decode(Buffer.concat(chunks).toString("latin1"));
        sink.mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          subject,
          body,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return Object.assign(sink, {
    url: `smtp://127.0.0.1:${port}`,
    async mailsTo(address: string, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mails = sink.mails.filter((m) => m.to.includes(address));
        if (mails.length >= count) return mails;
        if (Date.now() > deadline) throw new Error(`expected ${count} mails to ${address}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

export interface ReceivedCall {
  readonly headers: http.IncomingHttpHeaders;
  readonly raw: string;
  readonly body: any;
}

export type ReceiverMode = "ok" | "fail" | "hang" | "redirect";

export interface WebhookReceiver {
  readonly url: string;
  readonly calls: ReceivedCall[];
  mode: ReceiverMode;
  /** Resolves once `count` calls have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const calls: ReceivedCall[] = [];
  const state = { mode: "ok" as ReceiverMode };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      calls.push({ headers: request.headers, raw, body: JSON.parse(raw) });
      if (state.mode === "hang") return;
      if (state.mode === "redirect") {
        response.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" }).end();
        return;
      }
      response.writeHead(state.mode === "ok" ? 200 : 500).end(state.mode);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hook`,
    calls,
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (calls.length < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} webhook calls, got ${calls.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
