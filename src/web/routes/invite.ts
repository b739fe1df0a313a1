// Invite sign-up: /invite/:token (and /?token= leads here). The token is checked with the homeserver before
// anything else; the applicant confirms their address, and — unless registration.invitesSkipReview is off — is
// sent straight on to choose a password, which completes the MSC3231 registration with that very token, so the
// homeserver counts the use.
import type { Hono } from "hono";
import { isAppError } from "../../errors.ts";
import { isTokenString } from "../../homeserver/invite-tokens.ts";
import { submitRequest } from "../../registration/transitions.ts";
import { sendPage, type WebContext, type WebDeps, type WebEnv } from "../context.ts";
import { inviteMessages } from "../messages/invite.ts";
import { csrfValid } from "../middleware.ts";
import { messagePage } from "../views/layout.ts";
import { emptySignup, signupPage, type SignupFormOptions } from "../views/signup.ts";
import { badRequestPage, csrfPage, formBody, rateLimitedPage } from "./common.ts";
import { checkAvailability, signupFormOptions, validateSignup } from "./signup.ts";

type InviteState = "valid" | "unknown" | "expired" | "used";

/** What the homeserver says about a token: with an admin token we can tell unknown, expired and used apart. */
async function inviteState(deps: WebDeps, token: string): Promise<InviteState> {
  if (!isTokenString(token)) return "unknown";
  if (deps.homeserver.hasAdminToken) {
    const found = await deps.homeserver.getRegistrationToken(token);
    if (!found) return "unknown";
    if (found.expiryTime !== null && found.expiryTime <= deps.clock().getTime()) return "expired";
    if (found.usesAllowed !== null && found.pending + found.completed >= found.usesAllowed) return "used";
    return "valid";
  }
  return (await deps.homeserver.registrationTokenValid(token)) ? "valid" : "unknown";
}

export function mountInvite(app: Hono<WebEnv>, deps: WebDeps): void {
  const base = signupFormOptions(deps);

  const options = (c: WebContext, token: string): SignupFormOptions => {
    const m = inviteMessages[c.var.page.locale];
    return {
      ...base,
      requireReason: false,
      collectPassword: false,
      action: `/invite/${encodeURIComponent(token)}`,
      title: m.title,
      intro: m.intro,
    };
  };

  const refuse = (c: WebContext, state: Exclude<InviteState, "valid"> | "unavailable") => {
    const m = inviteMessages[c.var.page.locale];
    const [title, body, status] =
      state === "expired"
        ? [m.expiredTitle, m.expiredBody, 410 as const]
        : state === "used"
          ? [m.usedTitle, m.usedBody, 410 as const]
          : state === "unavailable"
            ? [m.unavailableTitle, m.unavailableBody, 503 as const]
            : [m.unknownTitle, m.unknownBody, 404 as const];
    return sendPage(
      c,
      messagePage(c.var.page, title, [body], { href: "/", label: c.var.page.t.home }),
      status,
    );
  };

  const check = async (c: WebContext, token: string): Promise<InviteState | "unavailable"> => {
    try {
      return await inviteState(deps, token);
    } catch (error) {
      if (isAppError(error) && error.code === "unavailable") return "unavailable";
      throw error;
    }
  };

  // Opening the page asks the homeserver (admin API) about the token: answers are kept briefly, so reloads and
  // link previews do not each cost a homeserver call, and the page is rate-limited per client. The form post
  // always asks afresh, before anything is stored.
  const recent = new Map<string, { state: InviteState; at: number }>();
  const RECENT_MS = 30_000;
  const RECENT_MAX = 1_000;
  const cachedCheck = async (c: WebContext, token: string): Promise<InviteState | "unavailable"> => {
    const now = Date.now();
    const hit = recent.get(token);
    if (hit && now - hit.at < RECENT_MS) return hit.state;
    const state = await check(c, token);
    if (state === "unavailable") return state;
    if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
    recent.set(token, { state, at: now });
    return state;
  };

  app.get("/invite/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    const limited = await deps.rateLimiter.check(c, "inviteCheck");
    if (!limited.allowed) return rateLimitedPage(c, limited.retryAfterSeconds);
    const state = await cachedCheck(c, token);
    if (state !== "valid") return refuse(c, state);
    return sendPage(c, signupPage(c.var.page, options(c, token), emptySignup, {}));
  });

  app.post("/invite/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    const limited = await deps.rateLimiter.check(c, "register");
    if (!limited.allowed) return rateLimitedPage(c, limited.retryAfterSeconds);
    // Checked first: no email goes out for a token that does not work.
    const state = await check(c, token);
    if (state !== "valid") return refuse(c, state);
    if (typeof form["website"] === "string" && form["website"] !== "") return c.redirect("/check-email", 303);
    const { values, errors, valid } = validateSignup(form, deps, {
      collectPassword: false,
      requireReason: false,
    });
    if (!valid) return sendPage(c, signupPage(c.var.page, options(c, token), values, errors), 422);
    const problems = await checkAvailability(deps, valid, c.var.clientIp);
    if (Object.keys(problems).length > 0)
      return sendPage(
        c,
        signupPage(c.var.page, options(c, token), values, problems),
        problems.form === "banned" ? 403 : 409,
      );
    const result = await submitRequest(
      deps.store,
      {
        localpart: valid.localpart,
        email: valid.email,
        emailIsExclusive: !deps.config.registration.allowMultipleAccountsPerEmail,
        firstName: valid.firstName,
        lastName: valid.lastName,
        note: valid.note,
        locale: c.var.page.locale,
        clientIp: c.var.clientIp,
        passwordCiphertext: null,
        origin: "invite",
        inviteToken: token,
      },
      deps.clock(),
    );
    if (!result.ok) {
      const conflict =
        result.conflict === "localpart" ? { username: "taken" as const } : { email: "email_in_use" as const };
      return sendPage(c, signupPage(c.var.page, options(c, token), values, conflict), 409);
    }
    deps.logger.info({ requestId: result.request.id }, "invite sign-up received");
    return c.redirect("/check-email", 303);
  });
}
