// The outbox handler for `email` rows: mints the row's links (tokens exist only from the moment the email goes
// out, stored hashed), opens a sealed one-time password if there is one, renders and sends. The Message-ID comes
// from the row, so a retry after a crash is recognisably the same message.
import type { Kysely } from "kysely";
import type { Config } from "../config/index.ts";
import { hashToken, randomToken, type SecretBox } from "../crypto/index.ts";
import { insertSecretToken } from "../db/secret-token.repository.ts";
import type { Database } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { ClaimedOutboxRow } from "../db/outbox.repository.ts";
import type { OutboxHandler } from "../jobs/outbox.ts";
import type { EmailLink, EmailTemplate } from "../registration/side-effects.ts";
import { locales, type Locale } from "../registration/types.ts";
import { renderEmail } from "./templates.ts";
import type { Mailer } from "./transport.ts";

export interface EmailHandlerDeps {
  db: Kysely<Database>;
  mailer: Mailer;
  secretBox: SecretBox | undefined;
  config: Pick<Config, "publicUrl" | "homeserver" | "registration">;
  /** Counts sent/failed emails (metrics). */
  onResult?: (result: "sent" | "failed") => void;
  /** Today's rotating registration token, read when its email goes out (registration.rotatingToken). */
  rotatingToken?: (
    now: Date,
  ) => Promise<{ ok: true; token: string; validUntil: Date } | { ok: false; opensAt: Date }>;
}

const linkPaths: Record<EmailLink, string> = {
  verify_email: "verify",
  status: "status",
  set_password: "password",
  token_register: "register",
};

interface EmailPayload {
  template: EmailTemplate;
  to: string;
  locale: Locale;
  params: Record<string, string | number | null>;
  links: EmailLink[];
}

function parsePayload(row: ClaimedOutboxRow): EmailPayload {
  const p = row.payload;
  if (typeof p["template"] !== "string" || typeof p["to"] !== "string" || !Array.isArray(p["links"])) {
    throw new AppError("bad_input", `outbox row ${row.id}: not an email payload`);
  }
  const locale =
    typeof p["locale"] === "string" && (locales as readonly string[]).includes(p["locale"])
      ? (p["locale"] as Locale)
      : "en";
  return {
    template: p["template"] as EmailTemplate,
    to: p["to"],
    locale,
    params: (typeof p["params"] === "object" && p["params"] !== null ? p["params"] : {}) as Record<
      string,
      string | number | null
    >,
    links: (p["links"] as unknown[]).filter((l): l is EmailLink => typeof l === "string" && l in linkPaths),
  };
}

export function createEmailHandler(deps: EmailHandlerDeps): OutboxHandler {
  const base = deps.config.publicUrl.replace(/\/+$/, "");
  const host = new URL(deps.config.publicUrl).hostname || "vestibule.invalid";
  const registration = deps.config.registration;

  const expiryFor = (link: EmailLink, now: Date): Date | null => {
    if (link === "status") return null;
    const hours =
      link === "verify_email" ? registration.verificationValidityHours : registration.linkValidityHours;
    return new Date(now.getTime() + hours * 3_600_000);
  };

  return async (row, now) => {
    const email = parsePayload(row);
    let secret: string | null = null;
    if (email.template === "rotating_token") {
      if (!deps.rotatingToken)
        return { status: "dead", error: "registration.rotatingToken is not configured" };
      const current = await deps.rotatingToken(now);
      // Sign-ups are closed just before the token changes: send the new one once it exists.
      if (!current.ok)
        return {
          status: "retry",
          error: "the rotating token is about to change",
          retryAfterMs: Math.max(1_000, current.opensAt.getTime() - now.getTime() + 5_000),
        };
      secret = current.token;
      email.params["validUntil"] = `${current.validUntil.toISOString().slice(0, 16).replace("T", " ")} UTC`;
    } else if (row.secret) {
      if (!deps.secretBox)
        return {
          status: "dead",
          error: "the email carries a sealed secret but secrets.key is not configured",
        };
      secret = deps.secretBox.open(row.secret);
    }
    const links: Partial<Record<EmailLink, string>> = {};
    for (const link of email.links) {
      if (row.requestId === null)
        throw new AppError("bad_input", `outbox row ${row.id}: links need a request`);
      const token = randomToken();
      await insertSecretToken(deps.db, {
        hash: hashToken(token),
        purpose: link,
        requestId: row.requestId,
        expiresAt: expiryFor(link, now),
        now,
      });
      links[link] = `${base}/${linkPaths[link]}/${token}`;
    }
    const rendered = renderEmail(email.template, email.locale, {
      params: email.params,
      links,
      secret,
      serverName: deps.config.homeserver.serverName,
      linkValidityHours: registration.linkValidityHours,
      verificationValidityHours: registration.verificationValidityHours,
    });
    try {
      await deps.mailer.send({
        to: email.to,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        locale: email.locale,
        messageId: `<outbox-${row.id}@${host}>`,
      });
    } catch (error) {
      deps.onResult?.("failed");
      throw error;
    }
    deps.onResult?.("sent");
    return { status: "done" };
  };
}
