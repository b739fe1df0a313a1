// GET|POST /token: applicants ask for today's shared registration token by email (registration.rotatingToken),
// with the bans, the per-address cooldown and the per-IP limit applying. Closed shortly before each rotation.
import type { Hono } from "hono";
import { html } from "hono/html";
import { activeBans } from "../../db/ban.repository.ts";
import { hitRateLimit } from "../../db/rate-limit.repository.ts";
import { matchingBan, normalizeEmail } from "../../registration/policy.ts";
import { rotationWindow } from "../../registration/rotating-token.ts";
import { sendPage, type WebContext, type WebDeps, type WebEnv } from "../context.ts";
import { rotatingTokenMessages } from "../messages/rotating-token.ts";
import { csrfValid } from "../middleware.ts";
import { csrfInput, field, layout, messagePage } from "../views/layout.ts";
import { badRequestPage, csrfPage, formBody, rateLimitedPage } from "./common.ts";

export function mountRotatingToken(app: Hono<WebEnv>, deps: WebDeps): void {
  const settings = deps.config.registration.rotatingToken;
  if (!settings) return;
  const serverName = deps.config.homeserver.serverName;

  const form = (c: WebContext, email = "", error?: string) => {
    const m = rotatingTokenMessages[c.var.page.locale];
    const t = c.var.page.t;
    return layout(
      c.var.page,
      m.title,
      html`<p>${m.intro(serverName)}</p>
<form method="post" action="/token" novalidate>${csrfInput(c.var.page)}
${field({ name: "email", label: t.email, type: "email", value: email, required: true, autocomplete: "email", maxlength: 254, ...(error ? { error } : {}) })}
<div class="hp" aria-hidden="true"><label for="f-website">${t.honeypotLabel}</label><input type="text" id="f-website" name="website" tabindex="-1" autocomplete="off" value=""></div>
<p><button type="submit">${m.button}</button></p></form>`,
    );
  };

  const closedPage = (c: WebContext, opensAt: Date) => {
    const m = rotatingTokenMessages[c.var.page.locale];
    return sendPage(
      c,
      messagePage(c.var.page, c.var.page.t.closedTitle, [
        m.closedBody(`${opensAt.toISOString().slice(11, 16)} UTC`),
      ]),
      503,
    );
  };

  app.get("/token", (c: WebContext) => {
    const window = rotationWindow(deps.clock(), settings);
    if (window.closed) return closedPage(c, window.nextRotation);
    return sendPage(c, form(c));
  });

  app.post("/token", async (c: WebContext) => {
    const body = await formBody(c);
    if (!body) return badRequestPage(c);
    if (!csrfValid(c, body["_csrf"])) return csrfPage(c);
    const limited = await deps.rateLimiter.check(c, "register");
    if (!limited.allowed) return rateLimitedPage(c, limited.retryAfterSeconds);
    const now = deps.clock();
    const window = rotationWindow(now, settings);
    if (window.closed) return closedPage(c, window.nextRotation);
    const m = rotatingTokenMessages[c.var.page.locale];
    const raw = typeof body["email"] === "string" ? body["email"].slice(0, 300) : "";
    if (typeof body["website"] === "string" && body["website"] !== "")
      return sendPage(c, messagePage(c.var.page, m.sentTitle, [m.sentBody]));
    const email = normalizeEmail(raw);
    if (!email.ok) return sendPage(c, form(c, raw, c.var.page.t.problems[email.problem]), 422);
    const ban = matchingBan(
      await activeBans(deps.db, now),
      { ip: c.var.clientIp, email: email.value, localpart: null },
      now,
    );
    // The same answer whether banned, cooling down or sent: the page does not reveal which addresses are blocked.
    const cooldown = deps.config.registration.emailCooldownSeconds;
    const fresh =
      cooldown === 0 ||
      (await hitRateLimit(deps.db, `token-email:${email.value}`, { points: 1, windowSeconds: cooldown }, now))
        .allowed;
    if (ban) deps.logger.info({ banId: ban.id }, "token request refused by a ban");
    else if (fresh) {
      await deps.store.transaction((tx) =>
        tx.enqueue(
          null,
          {
            kind: "email",
            template: "rotating_token",
            to: email.value,
            locale: c.var.page.locale,
            params: {},
            links: [],
          },
          now,
        ),
      );
    }
    return sendPage(c, messagePage(c.var.page, m.sentTitle, [m.sentBody]));
  });
}
