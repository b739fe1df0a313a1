// An outgoing email and its checks. Nothing a user typed may add a header or a recipient: addresses must be one
// plain address, and subject/name text loses control characters.
import { AppError } from "../errors.ts";

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  locale: "en" | "de";
  /** Deterministic Message-ID (e.g. from the outbox row), so a retry after a crash carries the same id. */
  messageId?: string;
  headers?: Record<string, string>;
}

/** One address, no display name, no groups, no line breaks; the shape of what the web form accepted. */
const plainAddress = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

export function assertPlainAddress(address: string): void {
  if (address.length > 254 || !plainAddress.test(address)) {
    throw new AppError("rejected", "recipient is not a single plain email address", {
      publicMessage: "The email address is not valid.",
    });
  }
}

/** Header text: control characters (CR, LF, NUL, …) become spaces. */
export function headerText(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

const headerName = /^X-[A-Za-z0-9-]{1,64}$/;

/** The nodemailer message for an email: always multipart text + HTML. */
export function buildMessage(from: string, email: OutgoingEmail) {
  assertPlainAddress(email.to);
  const headers: Record<string, string> = { "Content-Language": email.locale };
  for (const [name, value] of Object.entries(email.headers ?? {})) {
    if (!headerName.test(name)) throw new AppError("internal", `refusing mail header ${name}`);
    headers[name] = headerText(value);
  }
  return {
    from: headerText(from),
    to: email.to,
    subject: headerText(email.subject),
    text: email.text,
    html: email.html,
    headers,
    ...(email.messageId ? { messageId: email.messageId } : {}),
  };
}
