// Email verification (GET shows a button, POST verifies: link scanners prefetch GETs and must not verify) and the
// status page every email links to.
import type { Hono } from "hono";
import { html } from "hono/html";
import { hashToken, isTokenShaped, randomToken } from "../../crypto/index.ts";
import { insertSecretToken } from "../../db/secret-token.repository.ts";
import { verifyEmail } from "../../registration/transitions.ts";
import type { RegistrationRequest } from "../../registration/types.ts";
import { sendPage, type WebContext, type WebDeps, type WebEnv } from "../context.ts";
import { csrfValid } from "../middleware.ts";
import { csrfInput, formatDate, layout } from "../views/layout.ts";
import { badRequestPage, csrfPage, formBody, linkProblemPage, rateLimitedPage } from "./common.ts";

export function transitionSettings(deps: WebDeps) {
  return {
    adminEmail: deps.config.mail.adminEmail,
    approvalsRequired: deps.config.bot.approvalsRequired,
    declinesRequired: deps.config.bot.declinesRequired,
    mode: deps.config.homeserver.mode,
    credentials: deps.config.registration.credentials,
    invitesSkipReview: deps.config.registration.invitesSkipReview,
  };
}

/** A fresh status link for a request (status links never expire; they show no personal data). */
export async function mintStatusToken(deps: WebDeps, requestId: number): Promise<string> {
  const token = randomToken();
  await insertSecretToken(deps.db, {
    hash: hashToken(token),
    purpose: "status",
    requestId,
    expiresAt: null,
    now: deps.clock(),
  });
  return token;
}

export function mountVerify(app: Hono<WebEnv>, deps: WebDeps): void {
  app.get("/verify/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    if (!isTokenShaped(token)) return linkProblemPage(c, "unknown");
    const record = await deps.store.getSecretToken(hashToken(token));
    if (!record || record.purpose !== "verify_email" || record.requestId === null)
      return linkProblemPage(c, "unknown");
    const request = await deps.store.getRequest(record.requestId);
    if (!request) return linkProblemPage(c, "unknown");
    if (request.state === "unverified") {
      if (record.usedAt) return linkProblemPage(c, "used");
      if (record.expiresAt && record.expiresAt <= deps.clock()) return linkProblemPage(c, "expired");
    }
    const page = c.var.page;
    return sendPage(
      c,
      layout(
        page,
        page.t.verifyTitle,
        html`<p>${page.t.verifyBody(request.localpart)}</p>
          <form method="post" action="/verify/${token}">
            ${csrfInput(page)}
            <p><button type="submit">${page.t.verifyButton}</button></p>
          </form>`,
      ),
    );
  });

  app.post("/verify/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    const limited = await deps.rateLimiter.check(c, "verify");
    if (!limited.allowed) return rateLimitedPage(c, limited.retryAfterSeconds);
    if (!isTokenShaped(token)) return linkProblemPage(c, "unknown");
    const result = await verifyEmail(deps.store, transitionSettings(deps), hashToken(token), deps.clock());
    if (!result.ok) return linkProblemPage(c, result.reason);
    // Followed again after verifying: show the status here. Minting a status link on every POST would let anyone
    // holding an old verification link create rows without end; the status link is in the email.
    if (result.alreadyVerified) return statusPage(c, result.request);
    deps.logger.info({ requestId: result.request.id }, "email verified");
    if (
      result.request.origin === "invite" &&
      result.request.state === "approved" &&
      deps.config.homeserver.mode !== "local"
    ) {
      // An invite that skips review: on to choosing the password, which completes the registration.
      const link = randomToken();
      const now = deps.clock();
      await insertSecretToken(deps.db, {
        hash: hashToken(link),
        purpose: "token_register",
        requestId: result.request.id,
        expiresAt: new Date(now.getTime() + deps.config.registration.linkValidityHours * 3_600_000),
        now,
      });
      return c.redirect(`/register/${link}`, 303);
    }
    return c.redirect(`/status/${await mintStatusToken(deps, result.request.id)}`, 303);
  });

  app.get("/status/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    if (!isTokenShaped(token)) return linkProblemPage(c, "unknown");
    const record = await deps.store.getSecretToken(hashToken(token));
    if (!record || record.purpose !== "status" || record.requestId === null)
      return linkProblemPage(c, "unknown");
    const request = await deps.store.getRequest(record.requestId);
    if (!request) return linkProblemPage(c, "unknown");
    return statusPage(c, request);
  });
}

/** The status of a request: its state and dates, never personal data beyond the name asked for. */
function statusPage(c: WebContext, request: RegistrationRequest) {
  const page = c.var.page;
  const t = page.t;
  const rows: [string, Date | null][] = [
    [t.submittedAt, request.createdAt],
    [t.verifiedAt, request.verifiedAt],
    [
      t.decidedAt,
      request.state === "declined" || request.state === "approved" || request.state === "provisioned"
        ? request.decidedAt
        : null,
    ],
  ];
  return sendPage(
    c,
    layout(
      page,
      t.statusTitle,
      html`<p class="lead">${t.statusFor(request.localpart)}</p>
        <p class="state state-${request.state}"><strong>${t.states[request.state]}</strong></p>
        <p>${t.stateDetail[request.state]}</p>
        ${request.state === "declined" && request.decisionReason ? html`<p><strong>${t.reason}:</strong> ${request.decisionReason}</p>` : ""}
        <dl class="dates">
          ${rows
            .filter(([, d]) => d)
            .map(
              ([label, date]) =>
                html`<dt>${label}</dt>
                  <dd>${formatDate(page.locale, date!)}</dd>`,
            )}
        </dl>`,
    ),
  );
}
