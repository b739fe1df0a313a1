// The moderators' web portal (/admin). No passwords: a moderator sends !login in the room and gets a one-time
// link (10 minutes, bound to their user ID) by direct message; using it opens a session of 12 hours. Requests can
// be filtered, searched, inspected with their history, approved or declined (a portal decision is that
// moderator's vote); bans and invitations can be managed. Same anti-forgery values and headers as the public site.
import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { html } from "hono/html";
import { hashToken, isTokenShaped, randomToken } from "../../crypto/index.ts";
import { addBan, listBans, removeBan } from "../../db/ban.repository.ts";
import { appendAudit } from "../../db/audit.repository.ts";
import { claimSecretToken, insertSecretToken } from "../../db/secret-token.repository.ts";
import { isAppError } from "../../errors.ts";
import { createTokenService, isTokenString } from "../../homeserver/invite-tokens.ts";
import { parseDuration } from "../../registration/duration.ts";
import { parseBanValue, type BanKind } from "../../registration/policy.ts";
import { castVote } from "../../registration/transitions.ts";
import {
  displayNameOf,
  requestStates,
  type RequestId,
  type RequestState,
  type UserId,
} from "../../registration/types.ts";
import { sendPage, type WebContext, type WebDeps, type WebEnv } from "../context.ts";
import { adminMessages } from "../messages/admin.ts";
import { csrfValid } from "../middleware.ts";
import { csrfInput, field, formatDate, layout, messagePage, type Html } from "../views/layout.ts";
import { badRequestPage, csrfPage, formBody, linkProblemPage, notFoundPage } from "./common.ts";
import { transitionSettings } from "./verify.ts";

const SESSION_COOKIE = "vestibule_admin";
const SESSION_HOURS = 12;

function str(form: Record<string, string | string[]>, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value.trim() : "";
}

export function mountAdmin(app: Hono<WebEnv>, deps: WebDeps): void {
  const https = deps.config.publicUrl.startsWith("https:");
  const tokens = deps.homeserver.hasAdminToken
    ? createTokenService({
        db: deps.db,
        homeserver: deps.homeserver,
        publicUrl: deps.config.publicUrl,
        clock: deps.clock,
      })
    : null;

  /** The moderator behind the session cookie, or null. */
  async function moderatorOf(c: WebContext): Promise<UserId | null> {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (!cookie || !isTokenShaped(cookie)) return null;
    const record = await deps.store.getSecretToken(hashToken(cookie));
    if (!record || record.purpose !== "admin_session" || record.usedAt || !record.subject) return null;
    if (record.expiresAt && record.expiresAt <= deps.clock()) return null;
    return record.subject as UserId;
  }

  function page(c: WebContext, moderator: UserId, title: string, body: Html) {
    const m = adminMessages[c.var.page.locale];
    const nav = html`<nav class="admin" aria-label="${m.portal}">
<a href="/admin">${m.navRequests}</a> · <a href="/admin/bans">${m.navBans}</a> · <a href="/admin/tokens">${m.navTokens}</a>
<form method="post" action="/admin/logout" class="inline">${csrfInput(c.var.page)}<span>${m.signedInAs(moderator)}</span> <button type="submit">${m.logout}</button></form>
</nav>`;
    return layout(c.var.page, title, html`${nav}${body}`);
  }

  app.get("/admin/login/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    if (!isTokenShaped(token)) return linkProblemPage(c, "unknown");
    const record = await deps.store.getSecretToken(hashToken(token));
    if (!record || record.purpose !== "admin_login" || !record.subject) return linkProblemPage(c, "unknown");
    if (record.usedAt) return linkProblemPage(c, "used");
    if (record.expiresAt && record.expiresAt <= deps.clock()) return linkProblemPage(c, "expired");
    const m = adminMessages[c.var.page.locale];
    // A button, not an automatic sign-in: link previews and scanners must not use up the link.
    return sendPage(
      c,
      layout(
        c.var.page,
        m.loginTitle,
        html`<p>${m.loginBody(record.subject)}</p>
<form method="post" action="/admin/login/${token}">${csrfInput(c.var.page)}<p><button type="submit">${m.loginButton}</button></p></form>`,
      ),
    );
  });

  app.post("/admin/login/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    if (!isTokenShaped(token)) return linkProblemPage(c, "unknown");
    const now = deps.clock();
    const claim = await claimSecretToken(deps.db, hashToken(token), "admin_login", now);
    if (!claim.ok) return linkProblemPage(c, claim.reason);
    const session = randomToken();
    await insertSecretToken(deps.db, {
      hash: hashToken(session),
      purpose: "admin_session",
      requestId: null,
      subject: claim.subject,
      expiresAt: new Date(now.getTime() + SESSION_HOURS * 3_600_000),
      now,
    });
    await appendAudit(deps.db, { requestId: null, actor: claim.subject ?? "?", action: "portal_login", now });
    setCookie(c, SESSION_COOKIE, session, {
      path: "/admin",
      httpOnly: true,
      sameSite: "Strict",
      secure: https,
      maxAge: SESSION_HOURS * 3600,
    });
    return c.redirect("/admin", 303);
  });

  app.post("/admin/logout", async (c: WebContext) => {
    const form = await formBody(c);
    if (!form || !csrfValid(c, form["_csrf"])) return csrfPage(c);
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie && isTokenShaped(cookie))
      await claimSecretToken(deps.db, hashToken(cookie), "admin_session", deps.clock());
    deleteCookie(c, SESSION_COOKIE, { path: "/admin" });
    return c.redirect("/", 303);
  });

  // Everything else under /admin needs a session.
  app.use("/admin/*", async (c: WebContext, next) => {
    if (c.req.path.startsWith("/admin/login/")) return next();
    const moderator = await moderatorOf(c);
    if (!moderator) {
      const m = adminMessages[c.var.page.locale];
      return sendPage(
        c,
        messagePage(c.var.page, m.loggedOutTitle, [m.loggedOutBody(deps.config.bot.commandPrefix)]),
        403,
      );
    }
    c.set("moderator", moderator);
    return next();
  });
  app.get("/admin", (c) => c.redirect("/admin/requests", 302));
  const moderatorIn = (c: WebContext) => c.var.moderator as UserId;

  app.get("/admin/requests", async (c: WebContext) => {
    const m = adminMessages[c.var.page.locale];
    const state = c.req.query("state");
    const search = (c.req.query("q") ?? "").slice(0, 100);
    const states =
      state && (requestStates as readonly string[]).includes(state) ? [state as RequestState] : undefined;
    const requests = await deps.store.listRequests({
      ...(states ? { states } : {}),
      ...(search ? { search } : {}),
      limit: 100,
    });
    const body = html`<form method="get" action="/admin/requests" class="filters">
<label for="f-state">${m.filterState}</label>
<select id="f-state" name="state"><option value="">${m.anyState}</option>${requestStates.map((s) => html`<option value="${s}"${s === state ? html` selected` : ""}>${m.states[s]}</option>`)}</select>
<label for="f-q">${m.search}</label> <input type="text" id="f-q" name="q" value="${search}" maxlength="100">
<button type="submit">${m.filter}</button>
</form>
${
  requests.length === 0
    ? html`<p>${m.noRequests}</p>`
    : html`<table><thead><tr><th>${m.columns.id}</th><th>${m.columns.username}</th><th>${m.columns.name}</th><th>${m.columns.email}</th><th>${m.columns.state}</th><th>${m.columns.submitted}</th></tr></thead><tbody>
${requests.map((r) => html`<tr><td><a href="/admin/requests/${r.id}">#${r.id}</a></td><td>${r.localpart}</td><td>${r.scrubbedAt ? "—" : displayNameOf(r)}</td><td>${r.email ?? "—"}</td><td>${m.states[r.state]}</td><td>${formatDate(c.var.page.locale, r.createdAt)}</td></tr>`)}
</tbody></table>`
}`;
    return sendPage(c, page(c, moderatorIn(c), m.navRequests, body));
  });

  app.get("/admin/requests/:id", async (c: WebContext) => {
    const m = adminMessages[c.var.page.locale];
    const id = Number(c.req.param("id"));
    if (!Number.isSafeInteger(id) || id <= 0) return notFoundPage(c);
    const request = await deps.store.getRequest(id as RequestId);
    if (!request) return notFoundPage(c);
    const [votes, audit] = await Promise.all([
      deps.store.listVotes(request.id),
      deps.store.auditTrail(request.id),
    ]);
    const notice =
      c.req.query("done") === "vote" ? html`<p class="alert" role="status">${m.voteRecorded}</p>` : "";
    const decide =
      request.state === "pending"
        ? html`<div class="row">
<form method="post" action="/admin/requests/${request.id}/approve">${csrfInput(c.var.page)}<p><button type="submit">${m.approve}</button></p></form>
<form method="post" action="/admin/requests/${request.id}/decline">${csrfInput(c.var.page)}
${field({ name: "reason", label: m.reason, hint: m.reasonHint, maxlength: 500 })}
${field({ name: "message", label: m.message, hint: m.messageHint, maxlength: 2000, multiline: true })}
<p><button type="submit">${m.decline}</button></p></form>
</div>`
        : html`<p>${m.notPending}</p>`;
    const body = html`${notice}<p><strong>@${request.localpart}:${deps.config.homeserver.serverName}</strong> — ${m.states[request.state]}</p>
<dl class="dates"><dt>${m.columns.name}</dt><dd>${request.scrubbedAt ? "—" : displayNameOf(request)}</dd><dt>${m.columns.email}</dt><dd>${request.email ?? "—"}</dd><dt>${m.note}</dt><dd>${request.note ?? "—"}</dd><dt>${m.columns.submitted}</dt><dd>${formatDate(c.var.page.locale, request.createdAt)}</dd></dl>
${decide}
<h2>${m.votes}</h2>
${votes.length === 0 ? html`<p>${m.noVotes}</p>` : html`<ul>${votes.map((v) => html`<li>${v.decision === "approve" ? "✅" : "❌"} ${v.voter} (${v.source})${v.reason ? html` — ${v.reason}` : ""}</li>`)}</ul>`}
<h2>${m.audit}</h2>
<table><tbody>${audit.map((a) => html`<tr><td>${formatDate(c.var.page.locale, a.createdAt)}</td><td>${a.actor}</td><td>${a.action}</td><td>${Object.keys(a.detail).length ? JSON.stringify(a.detail) : ""}</td></tr>`)}</tbody></table>
<p><a href="/admin/requests">${m.back}</a></p>`;
    return sendPage(c, page(c, moderatorIn(c), m.requestTitle(request.id), body));
  });

  for (const decision of ["approve", "decline"] as const) {
    app.post(`/admin/requests/:id/${decision}`, async (c: WebContext) => {
      const form = await formBody(c);
      if (!form) return badRequestPage(c);
      if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
      const id = Number(c.req.param("id"));
      if (!Number.isSafeInteger(id) || id <= 0) return notFoundPage(c);
      const reason = str(form, "reason").slice(0, 500) || null;
      const message = str(form, "message").slice(0, 2000) || null;
      const result = await castVote(
        deps.store,
        transitionSettings(deps),
        {
          id: id as RequestId,
          voter: moderatorIn(c),
          decision,
          source: "portal",
          reason: decision === "decline" ? reason : null,
          message: decision === "decline" ? message : null,
        },
        deps.clock(),
      );
      if (!result.ok && result.reason === "not_found") return notFoundPage(c);
      return c.redirect(`/admin/requests/${id}${result.ok ? "?done=vote" : ""}`, 303);
    });
  }

  app.get("/admin/bans", async (c: WebContext) => {
    const m = adminMessages[c.var.page.locale];
    const bans = await listBans(deps.db, { includeExpired: false, now: deps.clock() });
    const body = html`${bans.length === 0 ? html`<p>${m.noBans}</p>` : html`<table><tbody>${bans.map((b) => html`<tr><td>#${b.id}</td><td>${b.kind}</td><td>${b.value}</td><td>${b.reason ?? ""}</td><td>${b.expiresAt ? formatDate(c.var.page.locale, b.expiresAt) : m.permanent}</td><td><form method="post" action="/admin/bans/${b.id}/remove">${csrfInput(c.var.page)}<button type="submit">${m.remove}</button></form></td></tr>`)}</tbody></table>`}
<form method="post" action="/admin/bans">${csrfInput(c.var.page)}
<div class="field"><label for="f-kind">${m.banKind}</label><select id="f-kind" name="kind">${["ip", "email", "domain", "username"].map((k) => html`<option value="${k}">${k}</option>`)}</select></div>
${field({ name: "value", label: m.banValue, required: true, maxlength: 300 })}
${field({ name: "reason", label: m.banReason, maxlength: 500 })}
${field({ name: "expires", label: m.banExpires, hint: m.banExpiresHint, maxlength: 20 })}
<p><button type="submit">${m.addBan}</button></p></form>`;
    return sendPage(c, page(c, moderatorIn(c), m.bansTitle, body));
  });

  app.post("/admin/bans", async (c: WebContext) => {
    const m = adminMessages[c.var.page.locale];
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    const kind = str(form, "kind") as BanKind;
    if (!["ip", "email", "domain", "username"].includes(kind))
      return sendPage(
        c,
        messagePage(c.var.page, m.invalidBan, [kind], { href: "/admin/bans", label: m.back }),
        422,
      );
    const value = parseBanValue(kind, str(form, "value"));
    const expiresText = str(form, "expires");
    const expires = expiresText ? parseDuration(expiresText) : null;
    if (!value.ok || (expiresText && expires === null)) {
      return sendPage(
        c,
        messagePage(c.var.page, m.invalidBan, [value.ok ? `"${expiresText}"` : value.error], {
          href: "/admin/bans",
          label: m.back,
        }),
        422,
      );
    }
    const now = deps.clock();
    await addBan(deps.db, {
      kind,
      value: value.value,
      reason: str(form, "reason").slice(0, 500) || null,
      expiresAt: expires ? new Date(now.getTime() + expires) : null,
      createdBy: `portal:${moderatorIn(c)}`,
      now,
    });
    return c.redirect("/admin/bans", 303);
  });

  app.post("/admin/bans/:id/remove", async (c: WebContext) => {
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    const id = Number(c.req.param("id"));
    if (Number.isSafeInteger(id) && id > 0) await removeBan(deps.db, { id });
    return c.redirect("/admin/bans", 303);
  });

  app.get("/admin/tokens", async (c: WebContext) => {
    const m = adminMessages[c.var.page.locale];
    if (!tokens)
      return sendPage(c, page(c, moderatorIn(c), m.tokensTitle, html`<p>${m.tokensUnavailable}</p>`));
    const list = await tokens.list({ valid: true });
    const body = html`${list.length === 0 ? html`<p>${m.noTokens}</p>` : html`<table><tbody>${list.map((t) => html`<tr><td><code>${t.token}</code></td><td>${t.completed}/${t.usesAllowed ?? "∞"}</td><td>${t.expiryTime ? formatDate(c.var.page.locale, new Date(t.expiryTime)) : m.permanent}</td><td>${t.createdBy ?? ""}${t.note ? html` — ${t.note}` : ""}</td><td><a href="${t.inviteUrl}">${t.inviteUrl}</a></td><td><form method="post" action="/admin/tokens/${encodeURIComponent(t.token)}/delete">${csrfInput(c.var.page)}<button type="submit">${m.remove}</button></form></td></tr>`)}</tbody></table>`}
<form method="post" action="/admin/tokens">${csrfInput(c.var.page)}
${field({ name: "uses", label: m.uses, hint: m.usesHint, maxlength: 6 })}
${field({ name: "expires", label: m.expires, hint: m.expiresHint, maxlength: 20 })}
${field({ name: "note", label: m.noteLabel, maxlength: 200 })}
<p><button type="submit">${m.createToken}</button></p></form>`;
    return sendPage(c, page(c, moderatorIn(c), m.tokensTitle, body));
  });

  app.post("/admin/tokens", async (c: WebContext) => {
    const m = adminMessages[c.var.page.locale];
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    if (!tokens) return sendPage(c, messagePage(c.var.page, m.tokensTitle, [m.tokensUnavailable]), 409);
    const usesText = str(form, "uses");
    const uses =
      usesText === "" ? 1 : /^\d{1,6}$/.test(usesText) && Number(usesText) > 0 ? Number(usesText) : NaN;
    const expiresText = str(form, "expires");
    const expires = expiresText === "" ? 7 * 86_400_000 : parseDuration(expiresText);
    if (Number.isNaN(uses) || expires === null) {
      return sendPage(
        c,
        messagePage(c.var.page, m.invalidToken, [`${usesText} ${expiresText}`.trim()], {
          href: "/admin/tokens",
          label: m.back,
        }),
        422,
      );
    }
    try {
      await tokens.create({
        usesAllowed: uses,
        expiresInMs: expires,
        note: str(form, "note").slice(0, 200) || null,
        createdBy: `portal:${moderatorIn(c)}`,
      });
    } catch (error) {
      if (isAppError(error) && (error.code === "unavailable" || error.code === "rejected")) {
        return sendPage(
          c,
          messagePage(c.var.page, m.invalidToken, [error.publicMessage], {
            href: "/admin/tokens",
            label: m.back,
          }),
          503,
        );
      }
      throw error;
    }
    return c.redirect("/admin/tokens", 303);
  });

  app.post("/admin/tokens/:token/delete", async (c: WebContext) => {
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    const token = c.req.param("token") ?? "";
    if (tokens && isTokenString(token)) await tokens.delete([token]);
    return c.redirect("/admin/tokens", 303);
  });
}
