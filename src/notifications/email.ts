/**
 * E-mail out: SMTP through nodemailer (`SMTP_URL`), or, in development without it, a mail log on
 * disk: each message as an `.eml` file plus one JSON line in `mail.log`. Knows nothing of
 * Temporal: failures are classified, never retried here.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type NodemailerError, type SMTPTransportOptions } from 'nodemailer';
import { redactSecrets } from './secrets';
import { DeliveryError } from './types';

export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export interface MailReceipt {
  /** What the SMTP server answered (`250 OK: queued as …`) or where the dev log put the message. */
  response: string;
  accepted: string[];
  /** Recipients the server refused while accepting others, with its answer. */
  rejected: { address: string; response: string }[];
}

export interface Mailer {
  /** Where mail goes, for the delivery log and the start banner: `smtp://host:port` or the log directory. Never a password. */
  readonly destination: string;
  /** Throws {@link DeliveryError}. */
  send(message: MailMessage): Promise<MailReceipt>;
  close(): void;
}

/** `smtp://user:***@host:port`: the URL without its password. */
export function describeSmtpUrl(smtpUrl: string): string {
  try {
    const url = new URL(smtpUrl);
    return `${url.protocol}//${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}`;
  } catch {
    return 'smtp (unparsable URL)';
  }
}

/** Sends through the SMTP server of `smtpUrl`; one connection per message (notifications are few). */
export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const url = new URL(smtpUrl);
  const password = url.password ? decodeURIComponent(url.password) : null;
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
    logger: false,
    debug: false,
  } satisfies SMTPTransportOptions);
  return {
    destination: describeSmtpUrl(smtpUrl),
    async send(message) {
      try {
        const info = await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
        const rejectedErrors = info.rejectedErrors ?? [];
        return {
          response: info.response,
          accepted: info.accepted,
          rejected: info.rejected.map((address) => ({
            address,
            response: rejectedErrors.find((rejection) => rejection.recipient === address)?.response ?? 'rejected',
          })),
        };
      } catch (error) {
        const failure = error as NodemailerError;
        const text = redactSecrets(failure.message, [password]);
        // The server refused the sender or every recipient for good (a permanent 5xx reply): the same message will be refused again.
        const definite = failure.code === 'EENVELOPE' && failure.permanent === true;
        throw new DeliveryError(definite ? `recipient refused: ${text}` : text, definite ? 'definite' : 'transient');
      }
    },
    close: () => transport.close(),
  };
}

/** The development mail log: `dir/<time>-<n>.eml` per message, and a line per message in `dir/mail.log`. */
export function fileMailer(dir: string, from: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let sequence = 0;
  return {
    destination: dir,
    async send(message) {
      sequence += 1;
      const at = new Date();
      const file = path.join(dir, `${at.toISOString().replace(/[:.]/g, '-')}-${process.pid}-${sequence}.eml`);
      try {
        const info = await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(file, info.message as Buffer);
        await fs.appendFile(
          path.join(dir, 'mail.log'),
          `${JSON.stringify({ at: at.toISOString(), from, to: message.to, subject: message.subject, file })}\n`,
        );
      } catch (error) {
        throw new DeliveryError(`writing the mail log: ${(error as Error).message}`, 'transient');
      }
      return { response: `written to ${file}`, accepted: message.to, rejected: [] };
    },
    close: () => transport.close(),
  };
}

/** SMTP when `smtpUrl` is set, else the mail log in `mailLogDir` when given, else none (e-mail is off). */
export function createMailer(options: {
  smtpUrl: string | null;
  mailLogDir: string | null;
  from: string;
}): Mailer | null {
  if (options.smtpUrl) return smtpMailer(options.smtpUrl, options.from);
  if (options.mailLogDir) return fileMailer(options.mailLogDir, options.from);
  return null;
}
