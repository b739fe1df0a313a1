// GET|POST /password/:token (set the password of an approved account) and GET|POST /register/:token (token mode:
// finish the MSC3231 registration with the approved username).
import type { Hono } from "hono";
import { html } from "hono/html";
import { hashToken, isTokenShaped } from "../../crypto/index.ts";
import { appendAudit } from "../../db/audit.repository.ts";
import { recordTokenUse } from "../../db/homeserver-token.repository.ts";
import { approvalTokenOf } from "../../db/provisioning.repository.ts";
import { claimSecretToken, releaseSecretToken } from "../../db/secret-token.repository.ts";
import type { PasswordSetter } from "../../homeserver/credentials.ts";
import { isAppError } from "../../errors.ts";
import { markFailed, markProvisioned } from "../../registration/transitions.ts";
import { displayNameOf, userIdFor, type RegistrationRequest } from "../../registration/types.ts";
import { sendPage, type WebContext, type WebDeps, type WebEnv } from "../context.ts";
import { credentialMessages } from "../messages/credentials.ts";
import { csrfValid } from "../middleware.ts";
import {
  csrfInput,
  errorSummary,
  field,
  layout,
  messagePage,
  type Html,
  type PageContext,
} from "../views/layout.ts";
import { badRequestPage, csrfPage, formBody, linkProblemPage, rateLimitedPage } from "./common.ts";
import { checkNewPassword } from "./password-policy.ts";

export interface CredentialDeps extends WebDeps {
  setPassword: PasswordSetter;
}

type Purpose = "set_password" | "token_register";

/** The request behind a link that still works (for the GET: nothing is used up). */
async function linkTarget(
  deps: WebDeps,
  token: string,
  purpose: Purpose,
  state: RegistrationRequest["state"],
): Promise<
  { ok: true; request: RegistrationRequest } | { ok: false; reason: "unknown" | "expired" | "used" }
> {
  if (!isTokenShaped(token)) return { ok: false, reason: "unknown" };
  const record = await deps.store.getSecretToken(hashToken(token));
  if (!record || record.purpose !== purpose || record.requestId === null)
    return { ok: false, reason: "unknown" };
  if (record.usedAt) return { ok: false, reason: "used" };
  if (record.expiresAt && record.expiresAt <= deps.clock()) return { ok: false, reason: "expired" };
  const request = await deps.store.getRequest(record.requestId);
  if (!request || request.state !== state) return { ok: false, reason: request ? "used" : "unknown" };
  return { ok: true, request };
}

function passwordForm(
  page: PageContext,
  options: {
    action: string;
    title: string;
    intro: Html | string;
    button: string;
    username: string;
    minLength: number;
  },
  errors: { password?: string; password_confirm?: string },
): Html {
  const t = page.t;
  return layout(
    page,
    options.title,
    html`${errorSummary(page, Object.keys(errors).length > 0)}<p>${options.intro}</p>
<form method="post" action="${options.action}" novalidate>
${csrfInput(page)}
<input type="hidden" name="username" value="${options.username}" autocomplete="username">
${field({
  name: "password",
  label: t.password,
  type: "password",
  hint: t.passwordHint(options.minLength),
  required: true,
  autocomplete: "new-password",
  maxlength: 512,
  live: true,
  data: { "strength-meter": "", "strength-label": t.passwordStrength, strengths: t.strength.join("|") },
  ...(errors.password ? { error: errors.password } : {}),
})}
${field({ name: "password_confirm", label: t.passwordConfirm, type: "password", required: true, autocomplete: "new-password", maxlength: 512, ...(errors.password_confirm ? { error: errors.password_confirm } : {}) })}
<p><button type="submit">${options.button}</button></p>
</form>`,
  );
}

export function mountCredentials(app: Hono<WebEnv>, deps: CredentialDeps): void {
  const minLength = deps.config.registration.password.minLength;
  const serverName = deps.config.homeserver.serverName;

  /** Reads and checks the two password fields; returns the password or the page to show again. */
  async function readPassword(
    c: WebContext,
    request: RegistrationRequest,
    render: (errors: { password?: string; password_confirm?: string }) => Html,
  ) {
    const form = await formBody(c);
    if (!form) return { response: await badRequestPage(c) };
    if (!csrfValid(c, form["_csrf"])) return { response: await csrfPage(c) };
    const limited = await deps.rateLimiter.check(c, "passwordSet");
    if (!limited.allowed) return { response: await rateLimitedPage(c, limited.retryAfterSeconds) };
    const password = typeof form["password"] === "string" ? form["password"] : "";
    const confirmation = typeof form["password_confirm"] === "string" ? form["password_confirm"] : "";
    const problem = checkNewPassword(password, confirmation, request.localpart, minLength);
    if (problem)
      return {
        response: await sendPage(c, render({ [problem.field]: c.var.page.t.problems[problem.problem] }), 422),
      };
    return { password };
  }

  app.get("/password/:token", async (c: WebContext) => {
    const target = await linkTarget(deps, c.req.param("token") ?? "", "set_password", "provisioned");
    if (!target.ok) return linkProblemPage(c, target.reason);
    const m = credentialMessages[c.var.page.locale];
    const userId = target.request.userId ?? userIdFor(target.request.localpart, serverName);
    return sendPage(
      c,
      passwordForm(
        c.var.page,
        {
          action: c.req.path,
          title: m.setPasswordTitle,
          intro: m.setPasswordIntro(userId),
          button: m.setPasswordButton,
          username: target.request.localpart,
          minLength,
        },
        {},
      ),
    );
  });

  app.post("/password/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    const target = await linkTarget(deps, token, "set_password", "provisioned");
    if (!target.ok) return linkProblemPage(c, target.reason);
    const request = target.request;
    const m = credentialMessages[c.var.page.locale];
    const userId = request.userId ?? userIdFor(request.localpart, serverName);
    const read = await readPassword(c, request, (errors) =>
      passwordForm(
        c.var.page,
        {
          action: c.req.path,
          title: m.setPasswordTitle,
          intro: m.setPasswordIntro(userId),
          button: m.setPasswordButton,
          username: request.localpart,
          minLength,
        },
        errors,
      ),
    );
    if ("response" in read) return read.response;
    const hash = hashToken(token);
    const claim = await claimSecretToken(deps.db, hash, "set_password", deps.clock());
    if (!claim.ok) return linkProblemPage(c, claim.reason);
    try {
      await deps.setPassword(request, read.password);
    } catch (error) {
      await releaseSecretToken(deps.db, hash);
      if (isAppError(error) && error.code === "unavailable") {
        deps.logger.warn(
          { err: error, requestId: request.id },
          "could not set a password: homeserver unavailable",
        );
        return sendPage(c, messagePage(c.var.page, m.failedTitle, [m.failedBody]), 503);
      }
      throw error;
    }
    await appendAudit(deps.db, {
      requestId: request.id,
      actor: "applicant",
      action: "password_set",
      now: deps.clock(),
    });
    deps.logger.info({ requestId: request.id }, "password set through the link");
    return sendPage(
      c,
      messagePage(c.var.page, m.passwordSetTitle, [m.passwordSetBody(userId), m.signInHint]),
    );
  });

  const registerIntro = (page: PageContext, request: RegistrationRequest) => {
    const m = credentialMessages[page.locale];
    return html`${m.registerIntro}</p><p>${m.yourUsername}: <strong>${userIdFor(request.localpart, serverName)}</strong>`;
  };

  app.get("/register/:token", async (c: WebContext) => {
    const target = await linkTarget(deps, c.req.param("token") ?? "", "token_register", "approved");
    if (!target.ok) return linkProblemPage(c, target.reason);
    const m = credentialMessages[c.var.page.locale];
    return sendPage(
      c,
      passwordForm(
        c.var.page,
        {
          action: c.req.path,
          title: m.registerTitle,
          intro: registerIntro(c.var.page, target.request),
          button: m.registerButton,
          username: target.request.localpart,
          minLength,
        },
        {},
      ),
    );
  });

  app.post("/register/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    const target = await linkTarget(deps, token, "token_register", "approved");
    if (!target.ok) return linkProblemPage(c, target.reason);
    const request = target.request;
    const m = credentialMessages[c.var.page.locale];
    const read = await readPassword(c, request, (errors) =>
      passwordForm(
        c.var.page,
        {
          action: c.req.path,
          title: m.registerTitle,
          intro: registerIntro(c.var.page, request),
          button: m.registerButton,
          username: request.localpart,
          minLength,
        },
        errors,
      ),
    );
    if ("response" in read) return read.response;
    const hsToken =
      request.origin === "invite" && request.inviteToken
        ? { token: request.inviteToken, expiresAt: null }
        : await approvalTokenOf(deps.db, request.id);
    if (!hsToken) return linkProblemPage(c, "expired");
    const hash = hashToken(token);
    const claim = await claimSecretToken(deps.db, hash, "token_register", deps.clock());
    if (!claim.ok) return linkProblemPage(c, claim.reason);
    let result;
    try {
      result = await deps.homeserver.registerWithToken({
        username: request.localpart,
        password: read.password,
        token: hsToken.token,
        initialDeviceDisplayName: "Vestibule registration",
      });
    } catch (error) {
      await releaseSecretToken(deps.db, hash);
      if (isAppError(error) && error.code === "unavailable")
        return sendPage(c, messagePage(c.var.page, m.failedTitle, [m.failedBody]), 503);
      throw error;
    }
    if (!result.ok) {
      if (result.reason === "weak_password") {
        await releaseSecretToken(deps.db, hash);
        return sendPage(
          c,
          passwordForm(
            c.var.page,
            {
              action: c.req.path,
              title: m.registerTitle,
              intro: registerIntro(c.var.page, request),
              button: m.registerButton,
              username: request.localpart,
              minLength,
            },
            { password: c.var.page.t.problems.password_weak },
          ),
          422,
        );
      }
      if (result.reason === "token_invalid") return linkProblemPage(c, "expired");
      await markFailed(
        deps.store,
        { id: request.id, reason: `registration with the token failed: ${result.reason}` },
        deps.clock(),
      );
      return sendPage(c, messagePage(c.var.page, m.failedTitle, [m.nameTakenBody]), 409);
    }
    const now = deps.clock();
    await recordTokenUse(deps.db, hsToken.token, result.userId, now);
    // What the registration itself cannot set: display name, email 3PID, rooms (token mode always has an admin token).
    try {
      await deps.homeserver.updateUser(result.userId, {
        displayname: displayNameOf(request),
        ...(request.email ? { threepids: [{ medium: "email" as const, address: request.email }] } : {}),
      });
      for (const room of deps.config.homeserver.autoJoinRooms)
        await deps.homeserver.joinRoom(room, result.userId).catch(() => undefined);
    } catch (error) {
      deps.logger.warn(
        { err: error, requestId: request.id },
        "account registered but its profile could not be completed",
      );
    } finally {
      if (result.accessToken) await deps.homeserver.logout(result.accessToken).catch(() => undefined);
    }
    await markProvisioned(
      deps.store,
      { credentials: deps.config.registration.credentials },
      {
        id: request.id,
        userId: userIdFor(request.localpart, serverName),
        actor: { kind: "applicant" },
        passwordChosenByApplicant: true,
        ...(deps.config.homeserver.welcomeMessage
          ? { welcomeMessage: deps.config.homeserver.welcomeMessage }
          : {}),
      },
      now,
    );
    return sendPage(
      c,
      messagePage(c.var.page, m.registeredTitle, [m.registeredBody(result.userId), m.signInHint]),
    );
  });
}
