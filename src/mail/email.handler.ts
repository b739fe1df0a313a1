// The outbox handler for `email` rows: mints the row's links (tokens exist only from the moment the email goes
// out, stored hashed), opens a sealed one-time password if there is one, renders and sends. The Message-ID comes
// from the row, so a retry after a crash is recognisably the same message.
import type { Kysely } from "kysely";
import type { Config } from "../config/index.ts";
import { hashToken, randomToken, type SecretBox } from "../crypto/index.ts";
import { insertSecretToken } from "../db/secret-token.repository.ts";
import type { Database } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { OutboxHandler } from "../outbox/registry.ts";
import type { EmailLink } from "../registration/side-effects.ts";
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

export function createEmailHandler(deps: EmailHandlerDeps): OutboxHandler<"email"> {
  const base = deps.config.publicUrl.replace(/\/+$/, "");
  const host = new URL(deps.config.publicUrl).hostname || "vestibule.invalid";
  const registration = deps.config.registration;

  const expiryFor = (link: EmailLink, now: Date): Date | null => {
    if (link === "status") return null;
    const hours =
      link === "verify_email" ? registration.verificationValidityHours : registration.linkValidityHours;
    return new Date(now.getTime() + hours * 3_600_000);
  };

  return async (job, now) => {
    // Decoded and checked for its kind by the outbox registry; params are copied because the send fills some in.
    const email = { ...job.effect, params: { ...job.effect.params } };
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
    } else if (job.secret) {
      if (!deps.secretBox)
        return {
          status: "dead",
          error: "the email carries a sealed secret but secrets.key is not configured",
        };
      secret = deps.secretBox.open(job.secret);
    }
    const links: Partial<Record<EmailLink, string>> = {};
    for (const link of email.links) {
      if (job.requestId === null)
        throw new AppError("bad_input", `outbox row ${job.id}: links need a request`);
      const token = randomToken();
      await insertSecretToken(deps.db, {
        hash: hashToken(token),
        purpose: link,
        requestId: job.requestId,
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
        messageId: `<outbox-${job.id}@${host}>`,
      });
    } catch (error) {
      deps.onResult?.("failed");
      throw error;
    }
    deps.onResult?.("sent");
    return { status: "done" };
  };
}
