// Sends email over SMTP (nodemailer), or writes .eml files under dataDir/mail when no SMTP server is configured.
// Failures are classified so the outbox knows whether to retry (unavailable) or give up (rejected).
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createTransport, type Transporter } from "nodemailer";
import { AppError, isAppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { buildMessage, type OutgoingEmail } from "./message.ts";

export interface Mailer {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
  /** Whether the transport works (SMTP: connects and greets; files: the folder is writable). */
  verify(): Promise<{ ok: true } | { ok: false; error: string }>;
  /** "smtp host:port" or "files in <dir>" for logs and /healthz. */
  describe(): string;
  close(): void;
}

export interface MailerOptions {
  from: string;
  smtp?:
    | {
        host: string;
        port: number;
        secure: boolean;
        starttls: boolean;
        user?: string | undefined;
        password?: string | undefined;
      }
    | undefined;
  dataDir: string;
  timeoutMs?: number;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  command?: string;
}

/** 4xx and connection trouble may pass; 5xx for a recipient or the message are final. */
export function classifySmtpError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const e = error as SmtpError;
  const summary = `${e.code ?? "error"}${e.responseCode ? ` ${e.responseCode}` : ""}${e.command ? ` (${e.command})` : ""}: ${e.message ?? String(error)}`;
  if (typeof e.responseCode === "number" && e.responseCode >= 500 && e.responseCode < 600) {
    // Authentication failures (535) are the operator's to fix and will not pass by themselves either.
    return new AppError("rejected", `SMTP refused the message: ${summary}`, {
      detail: { responseCode: e.responseCode },
      cause: error,
    });
  }
  return new AppError("unavailable", `SMTP not available: ${summary}`, {
    detail: e.responseCode ? { responseCode: e.responseCode } : {},
    cause: error,
  });
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}

export function createMailer(options: MailerOptions, logger: Logger): Mailer {
  const log = logger.child({ component: "mail" });
  const timeout = options.timeoutMs ?? 20_000;
  if (options.smtp) {
    const smtp = options.smtp;
    const transport: Transporter = createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: !smtp.secure && smtp.starttls,
      ignoreTLS: !smtp.secure && !smtp.starttls,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? "" } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      pool: true,
      maxConnections: 4,
    });
    return {
      async send(email) {
        const message = buildMessage(options.from, email);
        try {
          const info = (await transport.sendMail(message)) as { messageId: string; rejected?: unknown[] };
          if (info.rejected && info.rejected.length > 0)
            throw new AppError("rejected", "SMTP server rejected the recipient");
          log.info({ toDomain: domainOf(email.to), messageId: info.messageId }, "email sent");
          return { messageId: info.messageId };
        } catch (error) {
          throw classifySmtpError(error);
        }
      },
      async verify() {
        try {
          await transport.verify();
          return { ok: true };
        } catch (error) {
          return { ok: false, error: classifySmtpError(error).message };
        }
      },
      describe: () => `smtp ${smtp.host}:${smtp.port}`,
      close: () => transport.close(),
    };
  }

  const dir = resolve(join(options.dataDir, "mail"));
  const transport: Transporter = createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  let announced = false;
  return {
    async send(email) {
      const message = buildMessage(options.from, email);
      const info = (await transport.sendMail(message)) as { messageId: string; message: Buffer };
      await mkdir(dir, { recursive: true });
      if (!announced) {
        announced = true;
        log.warn({ dir }, `no SMTP server configured: emails are written to ${dir}`);
      }
      const safeId = info.messageId.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${safeId}.eml`);
      // Write then rename: a reader never sees half a message.
      await writeFile(`${file}.tmp`, info.message);
      await rename(`${file}.tmp`, file);
      log.info({ toDomain: domainOf(email.to), messageId: info.messageId, file }, "email written");
      return { messageId: info.messageId };
    },
    async verify() {
      try {
        await mkdir(dir, { recursive: true });
        return { ok: true };
      } catch (error) {
        return { ok: false, error: `cannot write to ${dir}: ${(error as Error).message}` };
      }
    },
    describe: () => `files in ${dir}`,
    close: () => transport.close(),
  };
}
