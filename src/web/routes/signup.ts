// GET / (the form), POST /register, GET /check-email and GET /api/username/:name.
import type { Hono } from "hono";
import { activeBans } from "../../db/ban.repository.ts";
import { emailInUse, lastRequestFromEmail, localpartInUse } from "../../db/signup.repository.ts";
import { isAppError } from "../../errors.ts";
import {
  checkUsername,
  cleanText,
  matchingBan,
  normalizeEmail,
  type UsernameProblem,
} from "../../registration/policy.ts";
import { submitRequest } from "../../registration/transitions.ts";
import type { EmailAddress, Localpart } from "../../registration/types.ts";
import { sendPage, type WebContext, type WebDeps, type WebEnv } from "../context.ts";
import { csrfValid } from "../middleware.ts";
import type { FieldProblem } from "../messages/site.ts";
import { messagePage } from "../views/layout.ts";
import {
  emptySignup,
  signupPage,
  type SignupErrors,
  type SignupFormOptions,
  type SignupValues,
} from "../views/signup.ts";
import { checkNewPassword } from "./password-policy.ts";
import { formBody, rateLimitedPage, badRequestPage, csrfPage } from "./common.ts";

export function signupFormOptions(deps: WebDeps): SignupFormOptions {
  const r = deps.config.registration;
  return {
    serverName: deps.config.homeserver.serverName,
    usernameMin: r.username.minLength,
    usernameMax: r.username.maxLength,
    requireReason: r.requireReason,
    collectPassword: r.collectPassword,
    passwordMin: r.password.minLength,
    legal: r.legal,
  };
}

function text(form: Record<string, string | string[]>, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value : Array.isArray(value) ? (value[0] ?? "") : "";
}

function list(form: Record<string, string | string[]>, name: string): string[] {
  const value = form[name];
  return typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
}

export interface ValidSignup {
  localpart: Localpart;
  email: EmailAddress;
  firstName: string;
  lastName: string;
  note: string;
  password: string | null;
}

/** Field-by-field validation of the sign-up form; every problem is reported, not just the first. */
export function validateSignup(
  form: Record<string, string | string[]>,
  deps: WebDeps,
  options: { collectPassword: boolean; requireReason: boolean },
): { values: SignupValues; errors: SignupErrors; valid: ValidSignup | null } {
  const r = deps.config.registration;
  const values: SignupValues = {
    username: text(form, "username").slice(0, 300),
    email: text(form, "email").slice(0, 300),
    first_name: text(form, "first_name").slice(0, 200),
    last_name: text(form, "last_name").slice(0, 200),
    note: text(form, "note").slice(0, 4000),
    accept_legal: list(form, "accept_legal").slice(0, 50),
  };
  const errors: SignupErrors = {};
  const username = checkUsername(values.username, r.username, deps.config.homeserver.serverName);
  if (!username.ok) errors.username = username.problem;
  const email = normalizeEmail(values.email);
  if (!email.ok) errors.email = email.problem;
  const first = cleanText(values.first_name, { multiline: false, max: 100 });
  if (!first.ok) errors.first_name = first.problem;
  else if (first.value === "") errors.first_name = "required";
  const last = cleanText(values.last_name, { multiline: false, max: 100 });
  if (!last.ok) errors.last_name = last.problem;
  const note = cleanText(values.note, { multiline: true, max: 2000 });
  if (!note.ok) errors.note = note.problem;
  else if (options.requireReason && note.value === "") errors.note = "required";
  const missingLegal = r.legal.some((_, index) => !values.accept_legal.includes(String(index)));
  if (missingLegal) errors.accept_legal = "legal_required";
  let password: string | null = null;
  if (options.collectPassword) {
    const typed = text(form, "password");
    const problem = checkNewPassword(
      typed,
      text(form, "password_confirm"),
      username.ok ? username.value : values.username,
      r.password.minLength,
    );
    if (problem) errors[problem.field] = problem.problem;
    else password = typed;
  }
  const valid =
    Object.keys(errors).length === 0 && username.ok && email.ok && first.ok && last.ok && note.ok
      ? {
          localpart: username.value,
          email: email.value,
          firstName: first.value,
          lastName: last.value,
          note: note.value,
          password,
        }
      : null;
  return { values, errors, valid };
}

/**
 * Checks that need the database or the homeserver: bans, the name being free, one request per address, the
 * cooldown. Returns the problems found (empty: go ahead).
 */
export async function checkAvailability(
  deps: WebDeps,
  input: ValidSignup,
  clientIp: string | null,
): Promise<SignupErrors> {
  const now = deps.clock();
  const errors: SignupErrors = {};
  const r = deps.config.registration;
  // Independent lookups, side by side.
  const [bans, nameInUse, addressInUse, last] = await Promise.all([
    activeBans(deps.db, now),
    localpartInUse(deps.db, input.localpart),
    r.allowMultipleAccountsPerEmail ? Promise.resolve(false) : emailInUse(deps.db, input.email),
    r.emailCooldownSeconds > 0 ? lastRequestFromEmail(deps.db, input.email) : Promise.resolve(null),
  ]);
  const ban = matchingBan(bans, { ip: clientIp, email: input.email, localpart: input.localpart }, now);
  if (ban) {
    deps.logger.info({ banId: ban.id, kind: ban.kind }, "sign-up refused by a ban");
    return { form: "banned" };
  }
  if (nameInUse) errors.username = "taken";
  else if (deps.config.homeserver.mode !== "local") {
    const problem = await homeserverProblem(deps, input.localpart);
    if (problem) errors.username = problem;
  }
  if (addressInUse) errors.email = "email_in_use";
  else if (last && now.getTime() - last.getTime() < r.emailCooldownSeconds * 1000) errors.email = "cooldown";
  return errors;
}

/** The homeserver's view of a name; when it cannot be asked, the name is checked again at provisioning. */
async function homeserverProblem(deps: WebDeps, localpart: string): Promise<FieldProblem | undefined> {
  // Known to be down (the health probe says so): do not wait for it on every request.
  if (deps.homeserverDown()) return undefined;
  try {
    const availability = await deps.homeserver.usernameAvailable(localpart);
    if (availability.available) return undefined;
    return availability.reason === "invalid" ? "invalid_characters" : "taken";
  } catch (error) {
    if (
      !isAppError(error) ||
      (error.code !== "unavailable" && error.code !== "forbidden" && error.code !== "config")
    )
      throw error;
    deps.logger.warn(
      { err: error },
      "homeserver could not check a username; accepting, it is checked again at provisioning",
    );
    return undefined;
  }
}

export function mountSignup(app: Hono<WebEnv>, deps: WebDeps): void {
  const options = signupFormOptions(deps);

  // The empty form is the same for everyone but for the anti-forgery value: render it once per language with a
  // placeholder, then fill the visitor's value in (the front page is the busiest page by far).
  const placeholder = "__VESTIBULE_CSRF_PLACEHOLDER__";
  const emptyForms = new Map<string, Promise<string>>();
  app.get("/", async (c) => {
    // Invitation links shared as /?token=… lead to the invite page.
    const token = c.req.query("token");
    if (token) return c.redirect(`/invite/${encodeURIComponent(token)}`, 302);
    const page = c.var.page;
    let form = emptyForms.get(page.locale);
    if (!form) {
      form = Promise.resolve(
        signupPage({ ...page, csrf: placeholder, path: "/" }, options, emptySignup, {}),
      ).then(String);
      emptyForms.set(page.locale, form);
    }
    return c.html((await form).replaceAll(placeholder, page.csrf));
  });

  app.post("/register", async (c) => {
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    const limited = await deps.rateLimiter.check(c, "register");
    if (!limited.allowed) return rateLimitedPage(c, limited.retryAfterSeconds);
    // A filled honeypot is a bot: answer as if it worked, store nothing.
    if (text(form, "website") !== "") {
      deps.logger.info({ ip: c.var.clientIp }, "honeypot filled; sign-up ignored");
      return c.redirect("/check-email", 303);
    }
    const { values, errors, valid } = validateSignup(form, deps, options);
    if (!valid) return sendPage(c, signupPage(c.var.page, options, values, errors), 422);
    const problems = await checkAvailability(deps, valid, c.var.clientIp);
    if (Object.keys(problems).length > 0) {
      return sendPage(
        c,
        signupPage(c.var.page, options, values, problems),
        problems.form === "banned" ? 403 : 409,
      );
    }
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
        passwordCiphertext:
          valid.password !== null && deps.secretBox ? deps.secretBox.seal(valid.password) : null,
        origin: "form",
        inviteToken: null,
      },
      deps.clock(),
    );
    if (!result.ok) {
      const conflict: SignupErrors =
        result.conflict === "localpart" ? { username: "taken" } : { email: "email_in_use" };
      return sendPage(c, signupPage(c.var.page, options, values, conflict), 409);
    }
    deps.logger.info({ requestId: result.request.id }, "sign-up request received");
    return c.redirect("/check-email", 303);
  });

  app.get("/check-email", (c) => {
    const t = c.var.page.t;
    return sendPage(c, messagePage(c.var.page, t.checkEmailTitle, [t.checkEmailBody, t.checkEmailSpam]));
  });

  app.get("/api/username/:name", async (c: WebContext) => {
    const t = c.var.page.t;
    const limited = await deps.rateLimiter.check(c, "usernameCheck");
    if (!limited.allowed) {
      c.header("Retry-After", String(limited.retryAfterSeconds));
      return c.json({ available: false, reason: t.rateLimitedTitle, code: "rate_limited" }, 429);
    }
    const raw = c.req.param("name") ?? "";
    const checked = checkUsername(raw, deps.config.registration.username, deps.config.homeserver.serverName);
    let problem: UsernameProblem | FieldProblem | undefined = checked.ok ? undefined : checked.problem;
    if (checked.ok) {
      if (await localpartInUse(deps.db, checked.value)) problem = "taken";
      else if (deps.config.homeserver.mode !== "local")
        problem = await homeserverProblem(deps, checked.value);
    }
    c.header("Cache-Control", "no-store");
    return problem
      ? c.json({ available: false, reason: t.problems[problem], code: problem })
      : c.json({ available: true, reason: t.available, code: "available" });
  });
}
