/**
 * Email over SMTP (nodemailer) when SMTP_URL is set; otherwise every email is written to the log
 * (pino), never silently dropped. A failed send throws and the dispatcher retries it.
 */
import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import type { Logger } from "pino";
import type { Email } from "./catalog.js";

export interface Mailer {
  send(email: Email): Promise<void>;
  close(): void;
}

export function createMailer(
  options: { smtpUrl: string | null; from: string },
  log: Pick<Logger, "info">,
): Mailer {
  if (!options.smtpUrl) {
    return {
      send: (email) => {
        log.info(
          { email: { from: options.from, to: email.to, subject: email.subject, text: email.text } },
          "email not sent (SMTP_URL is not set); logged instead",
        );
        return Promise.resolve();
      },
      close: () => undefined,
    };
  }
  const transport = nodemailer.createTransport(
    {
      url: options.smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    } satisfies SMTPTransport.Options,
    { from: options.from },
  );
  return {
    send: async (email) => {
      await transport.sendMail({
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
      });
    },
    close: () => transport.close(),
  };
}
