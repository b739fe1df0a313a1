// The moderators' web portal (/admin). No passwords: a moderator sends !login in the room and gets a one-time
// link (10 minutes, bound to their user ID) by direct message; using it opens a session of portal.sessionHours.
// Every page and every action first checks, with the homeserver, that the moderator is still one (power level and
// membership in the moderators' room): a demoted or removed moderator's sessions end, and when the rights cannot
// be checked the portal shows why and does nothing. Requests can be filtered, searched, inspected with their
// history, approved or declined (a portal decision is that moderator's vote); bans, invitations, permissions and
// the moderator's own sessions can be managed. Everything goes through src/moderation; this file parses the form,
// calls the use case and renders its outcome. Same anti-forgery values and headers as the public site.
import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { html } from "hono/html";
import { isAppError } from "../../errors.ts";
import {
  addBan,
  createInvite,
  decide,
  deleteInvites,
  endPortalSession,
  grantPermission,
  liftBan,
  listBans,
  listInvites,
  listPermissions,
  listPortalSessions,
  openPortalSession,
  portalLoginOf,
  portalSessionOf,
  revokePermission,
  revokePortalSessions,
  showSubject,
  type Invalid,
} from "../../moderation/index.ts";
import { banKinds } from "../../registration/policy.ts";
import {
  displayNameOf,
  parseRequestId,
  requestStates,
  type RequestState,
  type UserId,
} from "../../registration/types.ts";
import { sendPage, type WebContext, type WebDeps, type WebEnv } from "../context.ts";
import { adminMessages } from "../messages/admin.ts";
import { csrfValid } from "../middleware.ts";
import { csrfInput, field, formatDate, layout, messagePage, type Html } from "../views/layout.ts";
import { badRequestPage, csrfPage, formBody, linkProblemPage, notFoundPage } from "./common.ts";

const SESSION_COOKIE = "vestibule_admin";

function str(form: Record<string, string | string[]>, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value : "";
}

export function mountAdmin(app: Hono<WebEnv>, deps: WebDeps): void {
  const https = deps.config.publicUrl.startsWith("https:");
  const moderation = deps.moderation;
  const prefix = deps.config.bot.commandPrefix;
  const m = (c: WebContext) => adminMessages[c.var.page.locale];

  function page(c: WebContext, moderator: UserId, title: string, body: Html) {
    const t = m(c);
    const nav = html`<nav class="admin" aria-label="${t.portal}">
<a href="/admin">${t.navRequests}</a> · <a href="/admin/bans">${t.navBans}</a> · <a href="/admin/tokens">${t.navTokens}</a> · <a href="/admin/permissions">${t.navPermissions}</a> · <a href="/admin/sessions">${t.navSessions}</a>
<form method="post" action="/admin/logout" class="inline">${csrfInput(c.var.page)}<span>${t.signedInAs(moderator)}</span> <button type="submit">${t.logout}</button></form>
</nav>`;
    return layout(c.var.page, title, html`${nav}${body}`);
  }

  /** The rights could not be checked (fail closed): say so, in the reader's language, and change nothing. */
  function rightsUnavailablePage(c: WebContext, userId: UserId, detail: string) {
    deps.logger.warn({ userId, detail }, "portal: moderator rights cannot be checked; refusing");
    const t = m(c);
    c.header("Retry-After", "10");
    return sendPage(c, messagePage(c.var.page, t.rightsUnavailableTitle, [t.rightsUnavailableBody]), 503);
  }

  function notModeratorPage(c: WebContext, userId: UserId) {
    deps.logger.info({ userId }, "portal: no longer a moderator; sessions revoked");
    deleteCookie(c, SESSION_COOKIE, { path: "/admin" });
    const t = m(c);
    return sendPage(c, messagePage(c.var.page, t.notModeratorTitle, [t.notModeratorBody(userId)]), 403);
  }

  /** Bad input to a use case: which field, as the reader sees it, and a way back. */
  function invalidPage(
    c: WebContext,
    title: string,
    problem: Invalid,
    labels: Record<string, string>,
    back: string,
  ) {
    const t = m(c);
    return sendPage(
      c,
      messagePage(
        c.var.page,
        title,
        [t.invalidField(labels[problem.field] ?? problem.field, problem.value)],
        {
          href: back,
          label: t.back,
        },
      ),
      422,
    );
  }

  /** The homeserver failed an invitation change (down or refusing): a translated page, never a 500. */
  function homeserverProblemPage(c: WebContext, error: unknown, back: string) {
    if (!isAppError(error) || !["unavailable", "rejected", "forbidden", "not_found"].includes(error.code))
      throw error;
    deps.logger.warn({ err: error }, "portal: homeserver refused an invitation change");
    const t = m(c);
    return sendPage(
      c,
      messagePage(c.var.page, t.tokensTitle, [t.homeserverProblem], { href: back, label: t.back }),
      503,
    );
  }

  app.get("/admin/login/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    const link = await portalLoginOf(moderation, { token });
    if (!link.ok) return linkProblemPage(c, link.reason);
    const t = m(c);
    // A button, not an automatic sign-in: link previews and scanners must not use up the link.
    return sendPage(
      c,
      layout(
        c.var.page,
        t.loginTitle,
        html`<p>${t.loginBody(link.userId)}</p>
<form method="post" action="/admin/login/${token}">${csrfInput(c.var.page)}<p><button type="submit">${t.loginButton}</button></p></form>`,
      ),
    );
  });

  app.post("/admin/login/:token", async (c: WebContext) => {
    const token = c.req.param("token") ?? "";
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    const opened = await openPortalSession(moderation, { token });
    if (!opened.ok) {
      if (opened.reason === "rights_unavailable")
        return rightsUnavailablePage(c, opened.userId, opened.detail);
      if (opened.reason === "not_moderator") return notModeratorPage(c, opened.userId);
      return linkProblemPage(c, opened.reason);
    }
    setCookie(c, SESSION_COOKIE, opened.session, {
      path: "/admin",
      httpOnly: true,
      sameSite: "Strict",
      secure: https,
      maxAge: Math.floor((opened.expiresAt.getTime() - deps.clock().getTime()) / 1000),
    });
    return c.redirect("/admin", 303);
  });

  // Signing out needs no rights check: it must work while the homeserver is down, and for a demoted moderator.
  app.post("/admin/logout", async (c: WebContext) => {
    const form = await formBody(c);
    if (!form || !csrfValid(c, form["_csrf"])) return csrfPage(c);
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie) await endPortalSession(moderation, { token: cookie });
    deleteCookie(c, SESSION_COOKIE, { path: "/admin" });
    return c.redirect("/", 303);
  });

  // Everything else under /admin needs a session whose moderator is a moderator now.
  app.use("/admin/*", async (c: WebContext, next) => {
    if (c.req.path.startsWith("/admin/login/")) return next();
    const session = await portalSessionOf(moderation, { token: getCookie(c, SESSION_COOKIE) ?? "" });
    if (!session.ok) {
      if (session.reason === "rights_unavailable")
        return rightsUnavailablePage(c, session.userId, session.detail);
      if (session.reason === "not_moderator") return notModeratorPage(c, session.userId);
      const t = m(c);
      return sendPage(c, messagePage(c.var.page, t.loggedOutTitle, [t.loggedOutBody(prefix)]), 403);
    }
    c.set("moderator", session.userId);
    return next();
  });
  app.get("/admin", (c) => c.redirect("/admin/requests", 302));
  const actorOf = (c: WebContext) => ({ kind: "portal" as const, userId: c.var.moderator });

  app.get("/admin/requests", async (c: WebContext) => {
    const t = m(c);
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
<label for="f-state">${t.filterState}</label>
<select id="f-state" name="state"><option value="">${t.anyState}</option>${requestStates.map((s) => html`<option value="${s}"${s === state ? html` selected` : ""}>${t.states[s]}</option>`)}</select>
<label for="f-q">${t.search}</label> <input type="text" id="f-q" name="q" value="${search}" maxlength="100">
<button type="submit">${t.filter}</button>
</form>
${
  requests.length === 0
    ? html`<p>${t.noRequests}</p>`
    : html`<table><thead><tr><th>${t.columns.id}</th><th>${t.columns.username}</th><th>${t.columns.name}</th><th>${t.columns.email}</th><th>${t.columns.state}</th><th>${t.columns.submitted}</th></tr></thead><tbody>
${requests.map((r) => html`<tr><td><a href="/admin/requests/${r.id}">#${r.id}</a></td><td>${r.localpart}</td><td>${r.scrubbedAt ? "—" : displayNameOf(r)}</td><td>${r.email ?? "—"}</td><td>${t.states[r.state]}</td><td>${formatDate(c.var.page.locale, r.createdAt)}</td></tr>`)}
</tbody></table>`
}`;
    return sendPage(c, page(c, c.var.moderator, t.navRequests, body));
  });

  app.get("/admin/requests/:id", async (c: WebContext) => {
    const t = m(c);
    const id = parseRequestId(c.req.param("id") ?? "");
    if (!id) return notFoundPage(c);
    const request = await deps.store.getRequest(id);
    if (!request) return notFoundPage(c);
    const [votes, audit] = await Promise.all([
      deps.store.listVotes(request.id),
      deps.store.auditTrail(request.id),
    ]);
    const notice =
      c.req.query("done") === "vote" ? html`<p class="alert" role="status">${t.voteRecorded}</p>` : "";
    const decideForms =
      request.state === "pending"
        ? html`<div class="row">
<form method="post" action="/admin/requests/${request.id}/approve">${csrfInput(c.var.page)}<p><button type="submit">${t.approve}</button></p></form>
<form method="post" action="/admin/requests/${request.id}/decline">${csrfInput(c.var.page)}
${field({ name: "reason", label: t.reason, hint: t.reasonHint, maxlength: 500 })}
${field({ name: "message", label: t.message, hint: t.messageHint, maxlength: 2000, multiline: true })}
<p><button type="submit">${t.decline}</button></p></form>
</div>`
        : html`<p>${t.notPending}</p>`;
    const body = html`${notice}<p><strong>@${request.localpart}:${deps.config.homeserver.serverName}</strong> — ${t.states[request.state]}</p>
<dl class="dates"><dt>${t.columns.name}</dt><dd>${request.scrubbedAt ? "—" : displayNameOf(request)}</dd><dt>${t.columns.email}</dt><dd>${request.email ?? "—"}</dd><dt>${t.note}</dt><dd>${request.note ?? "—"}</dd><dt>${t.columns.submitted}</dt><dd>${formatDate(c.var.page.locale, request.createdAt)}</dd></dl>
${decideForms}
<h2>${t.votes}</h2>
${votes.length === 0 ? html`<p>${t.noVotes}</p>` : html`<ul>${votes.map((v) => html`<li>${v.decision === "approve" ? "✅" : "❌"} ${v.voter} (${v.source})${v.reason ? html` — ${v.reason}` : ""}</li>`)}</ul>`}
<h2>${t.audit}</h2>
<table><tbody>${audit.map((a) => html`<tr><td>${formatDate(c.var.page.locale, a.createdAt)}</td><td>${a.actor}</td><td>${a.action}</td><td>${Object.keys(a.detail).length ? JSON.stringify(a.detail) : ""}</td></tr>`)}</tbody></table>
<p><a href="/admin/requests">${t.back}</a></p>`;
    return sendPage(c, page(c, c.var.moderator, t.requestTitle(request.id), body));
  });

  for (const decision of ["approve", "decline"] as const) {
    app.post(`/admin/requests/:id/${decision}`, async (c: WebContext) => {
      const t = m(c);
      const form = await formBody(c);
      if (!form) return badRequestPage(c);
      if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
      const idText = c.req.param("id") ?? "";
      const result = await decide(moderation, actorOf(c), {
        id: idText,
        decision,
        reason: str(form, "reason"),
        message: str(form, "message"),
      });
      if (result.ok) return c.redirect(`/admin/requests/${result.request.id}?done=vote`, 303);
      switch (result.reason) {
        case "invalid":
          if (result.field === "id") return notFoundPage(c);
          return invalidPage(
            c,
            t.requestTitle(Number(idText)),
            result,
            { reason: t.reason, message: t.message },
            `/admin/requests/${idText}`,
          );
        case "not_found":
          return notFoundPage(c);
        case "wrong_state":
        case "duplicate":
          // Decided meanwhile (by the room or another moderator): the page says so.
          return c.redirect(`/admin/requests/${idText}`, 303);
      }
    });
  }

  app.get("/admin/bans", async (c: WebContext) => {
    const t = m(c);
    const bans = await listBans(moderation);
    const body = html`${bans.length === 0 ? html`<p>${t.noBans}</p>` : html`<table><tbody>${bans.map((b) => html`<tr><td>#${b.id}</td><td>${b.kind}</td><td>${b.value}</td><td>${b.reason ?? ""}</td><td>${b.expiresAt ? formatDate(c.var.page.locale, b.expiresAt) : t.permanent}</td><td><form method="post" action="/admin/bans/${b.id}/remove">${csrfInput(c.var.page)}<button type="submit">${t.remove}</button></form></td></tr>`)}</tbody></table>`}
<form method="post" action="/admin/bans">${csrfInput(c.var.page)}
<div class="field"><label for="f-kind">${t.banKind}</label><select id="f-kind" name="kind">${banKinds.map((k) => html`<option value="${k}">${k}</option>`)}</select></div>
${field({ name: "value", label: t.banValue, required: true, maxlength: 300 })}
${field({ name: "reason", label: t.banReason, maxlength: 500 })}
${field({ name: "expires", label: t.banExpires, hint: t.banExpiresHint, maxlength: 20 })}
<p><button type="submit">${t.addBan}</button></p></form>`;
    return sendPage(c, page(c, c.var.moderator, t.bansTitle, body));
  });

  app.post("/admin/bans", async (c: WebContext) => {
    const t = m(c);
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    const result = await addBan(moderation, actorOf(c), {
      kind: str(form, "kind"),
      value: str(form, "value"),
      expires: str(form, "expires"),
      reason: str(form, "reason"),
    });
    if (!result.ok)
      return invalidPage(
        c,
        t.invalidBan,
        result,
        { kind: t.banKind, value: t.banValue, expires: t.banExpires, reason: t.banReason },
        "/admin/bans",
      );
    return c.redirect("/admin/bans", 303);
  });

  app.post("/admin/bans/:id/remove", async (c: WebContext) => {
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    // Lifted meanwhile (or never there): the list shows the outcome either way.
    const result = await liftBan(moderation, actorOf(c), { id: c.req.param("id") ?? "" });
    if (!result.ok && result.reason === "invalid") return notFoundPage(c);
    return c.redirect("/admin/bans", 303);
  });

  app.get("/admin/tokens", async (c: WebContext) => {
    const t = m(c);
    let listed;
    try {
      listed = await listInvites(moderation, { valid: true });
    } catch (error) {
      return homeserverProblemPage(c, error, "/admin");
    }
    if (!listed.ok)
      return sendPage(c, page(c, c.var.moderator, t.tokensTitle, html`<p>${t.tokensUnavailable}</p>`));
    const list = listed.invites;
    const body = html`${list.length === 0 ? html`<p>${t.noTokens}</p>` : html`<table><tbody>${list.map((i) => html`<tr><td><code>${i.token}</code></td><td>${i.completed}/${i.usesAllowed ?? "∞"}</td><td>${i.expiryTime ? formatDate(c.var.page.locale, new Date(i.expiryTime)) : t.permanent}</td><td>${i.createdBy ?? ""}${i.note ? html` — ${i.note}` : ""}</td><td><a href="${i.inviteUrl}">${i.inviteUrl}</a></td><td><form method="post" action="/admin/tokens/${encodeURIComponent(i.token)}/delete">${csrfInput(c.var.page)}<button type="submit">${t.remove}</button></form></td></tr>`)}</tbody></table>`}
<form method="post" action="/admin/tokens">${csrfInput(c.var.page)}
${field({ name: "uses", label: t.uses, hint: t.usesHint, maxlength: 7 })}
${field({ name: "expires", label: t.expires, hint: t.expiresHint, maxlength: 20 })}
${field({ name: "note", label: t.noteLabel, maxlength: 500 })}
<p><button type="submit">${t.createToken}</button></p></form>`;
    return sendPage(c, page(c, c.var.moderator, t.tokensTitle, body));
  });

  app.post("/admin/tokens", async (c: WebContext) => {
    const t = m(c);
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    let result;
    try {
      result = await createInvite(moderation, actorOf(c), {
        uses: str(form, "uses"),
        expires: str(form, "expires"),
        note: str(form, "note"),
      });
    } catch (error) {
      return homeserverProblemPage(c, error, "/admin/tokens");
    }
    if (!result.ok) {
      if (result.reason === "not_configured")
        return sendPage(c, messagePage(c.var.page, t.tokensTitle, [t.tokensUnavailable]), 409);
      return invalidPage(
        c,
        t.invalidToken,
        result,
        { uses: t.uses, expires: t.expires, note: t.noteLabel },
        "/admin/tokens",
      );
    }
    return c.redirect("/admin/tokens", 303);
  });

  app.post("/admin/tokens/:token/delete", async (c: WebContext) => {
    const t = m(c);
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    let result;
    try {
      result = await deleteInvites(moderation, actorOf(c), { tokens: [c.req.param("token") ?? ""] });
    } catch (error) {
      return homeserverProblemPage(c, error, "/admin/tokens");
    }
    if (!result.ok && result.reason === "not_configured")
      return sendPage(c, messagePage(c.var.page, t.tokensTitle, [t.tokensUnavailable]), 409);
    if (!result.ok) return notFoundPage(c);
    return c.redirect("/admin/tokens", 303);
  });

  app.get("/admin/permissions", async (c: WebContext) => {
    const t = m(c);
    const listed = await listPermissions(moderation);
    const list = listed.ok ? listed.permissions : [];
    const body = html`<p>${t.permissionsIntro(prefix)}</p>
${list.length === 0 ? html`<p>${t.noPermissions}</p>` : html`<table><tbody>${list.map((p) => html`<tr><td><code>${showSubject(p)}</code></td><td>${t.grantedBy(p.createdBy)}, ${formatDate(c.var.page.locale, p.createdAt)}</td><td><form method="post" action="/admin/permissions/remove">${csrfInput(c.var.page)}<input type="hidden" name="subject" value="${showSubject(p)}"><button type="submit">${t.remove}</button></form></td></tr>`)}</tbody></table>`}
<form method="post" action="/admin/permissions">${csrfInput(c.var.page)}
${field({ name: "subject", label: t.subject, hint: t.subjectHint, required: true, maxlength: 257 })}
<p><button type="submit">${t.grant}</button></p></form>`;
    return sendPage(c, page(c, c.var.moderator, t.permissionsTitle, body));
  });

  for (const [path, change] of [
    ["/admin/permissions", grantPermission],
    ["/admin/permissions/remove", revokePermission],
  ] as const) {
    app.post(path, async (c: WebContext) => {
      const t = m(c);
      const form = await formBody(c);
      if (!form) return badRequestPage(c);
      if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
      const result = await change(moderation, actorOf(c), { subject: str(form, "subject") });
      if (!result.ok && result.reason === "invalid")
        return invalidPage(c, t.invalidPermission, result, { subject: t.subject }, "/admin/permissions");
      // Granted, already there, revoked, or already gone: the list shows the outcome.
      return c.redirect("/admin/permissions", 303);
    });
  }

  app.get("/admin/sessions", async (c: WebContext) => {
    const t = m(c);
    const listed = await listPortalSessions(moderation, {
      userId: c.var.moderator,
      current: getCookie(c, SESSION_COOKIE) ?? "",
    });
    const sessions = listed.ok ? listed.sessions : [];
    const locale = c.var.page.locale;
    const body = html`<p>${t.sessionsIntro(deps.config.portal.sessionHours)}</p>
<table><thead><tr><th>${t.sessionCreated}</th><th>${t.sessionExpires}</th><th></th></tr></thead><tbody>${sessions.map((s) => html`<tr><td>${formatDate(locale, s.createdAt)}</td><td>${s.expiresAt ? formatDate(locale, s.expiresAt) : "—"}</td><td>${s.current ? t.thisSession : ""}</td></tr>`)}</tbody></table>
<form method="post" action="/admin/sessions/revoke">${csrfInput(c.var.page)}<p><button type="submit">${t.signOutEverywhere}</button></p></form>`;
    return sendPage(c, page(c, c.var.moderator, t.sessionsTitle, body));
  });

  app.post("/admin/sessions/revoke", async (c: WebContext) => {
    const t = m(c);
    const form = await formBody(c);
    if (!form) return badRequestPage(c);
    if (!csrfValid(c, form["_csrf"])) return csrfPage(c);
    const result = await revokePortalSessions(moderation, actorOf(c), { userId: c.var.moderator });
    deleteCookie(c, SESSION_COOKIE, { path: "/admin" });
    const count = result.ok ? result.revoked : 0;
    return sendPage(
      c,
      messagePage(c.var.page, t.signedOutEverywhereTitle, [t.signedOutEverywhereBody(count, prefix)], {
        href: "/",
        label: t.back,
      }),
    );
  });
}
