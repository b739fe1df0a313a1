// The moderators' portal: in Chromium, !login sends a one-time link by direct message and the portal approves a
// request, which edits the room message and creates the account; the link cannot be used twice. With a plain HTTP
// client: bans, invitations and permissions leave the same audit rows as from the room and the CLI; sessions are
// listed and ended; and a moderator who is demoted and kicked can no longer see or decide anything (issue 17).
// Rights are cached for 0 s here, so every page asks the real Synapse (the bot's invalidation is tested with the bot).
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import { issuePortalLogin, openPortalSession } from "../../src/moderation/index.ts";
import { parseUserId } from "../../src/registration/types.ts";
import { auditRows, expectAuditRow } from "../support/audit.ts";
import { artifactsDir, launchBrowser, type TestBrowser } from "../support/browser.ts";
import { applyAndVerify, waitForState } from "../support/flows.ts";
import { matrixRequest, registerUser, type TestUser } from "../support/homeserver.ts";
import {
  createModeratorRoom,
  roomEvents,
  say,
  textOf,
  waitForEvent,
  type ModeratorRoom,
  type RoomEvent,
} from "../support/matrix-room.ts";
import { pendingRequest } from "../support/requests.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { WebClient } from "../support/web-client.ts";

const synapse = inject("synapse");
let sink: SmtpSink;
let room: ModeratorRoom;
let service: TestService;
let browser: TestBrowser;

beforeAll(async () => {
  sink = await startSmtpSink();
  room = await createModeratorRoom(synapse);
  service = await startTestService({
    config: {
      homeserver: { url: synapse.url, serverName: synapse.serverName, adminToken: synapse.adminToken },
      mail: { smtp: sink.smtpConfig() },
      bot: {
        enabled: true,
        userId: room.bot.userId,
        accessToken: room.bot.accessToken,
        moderatorRoom: room.roomId,
      },
      portal: { rightsCacheSeconds: 0 },
    },
  });
  browser = await launchBrowser();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !service.deps.health.get("bot")?.detail?.startsWith("in "))
    await new Promise((r) => setTimeout(r, 100));
});
afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await sink?.stop();
});

/** The moderator accepts the bot's direct-message invitation and reads the login link from it. */
async function loginLinkFromDirectMessage(): Promise<string> {
  type Sync = {
    next_batch: string;
    rooms?: {
      invite?: Record<string, unknown>;
      join?: Record<string, { timeline: { events: RoomEvent[] } }>;
    };
  };
  const deadline = Date.now() + 20_000;
  // Incremental syncs (Synapse caches identical initial syncs for a while).
  let since: string | undefined;
  const joined = new Set<string>();
  while (Date.now() < deadline) {
    const query = `timeout=1000${since ? `&since=${encodeURIComponent(since)}` : ""}`;
    const sync = await matrixRequest<Sync>(synapse, "GET", `/_matrix/client/v3/sync?${query}`, {
      accessToken: room.moderator.accessToken,
    });
    since = sync.body.next_batch;
    for (const invited of Object.keys(sync.body.rooms?.invite ?? {})) {
      await matrixRequest(synapse, "POST", `/_matrix/client/v3/join/${encodeURIComponent(invited)}`, {
        accessToken: room.moderator.accessToken,
        body: {},
      });
      joined.add(invited);
    }
    const mine = await matrixRequest<{ joined_rooms: string[] }>(
      synapse,
      "GET",
      "/_matrix/client/v3/joined_rooms",
      { accessToken: room.moderator.accessToken },
    );
    for (const roomId of mine.body.joined_rooms.filter((r) => r !== room.roomId)) joined.add(roomId);
    for (const roomId of joined) {
      const events = await roomEvents(synapse, room.moderator, roomId, 20);
      for (const event of events.reverse()) {
        const link = /https?:\/\/\S+\/admin\/login\/[A-Za-z0-9_-]{43}/.exec(textOf(event));
        if (event.sender === room.bot.userId && link && !used.has(link[0])) {
          used.add(link[0]);
          return link[0];
        }
      }
    }
  }
  throw new Error("no login link arrived by direct message");
}
const used = new Set<string>();

it("!login → portal → approve: the room message is edited, the account exists, and the link works once", async () => {
  const { request, applicant } = await applyAndVerify(service, sink);
  await waitForEvent(synapse, room.moderator, room.roomId, (e) =>
    textOf(e).includes(`Sign-up request #${request.id}`),
  );

  const sent = await say(synapse, room.moderator, room.roomId, "!login");
  const reply = await waitForEvent(
    synapse,
    room.moderator,
    room.roomId,
    (e) => e.content["m.relates_to"]?.["m.in_reply_to"]?.event_id === sent,
  );
  expect(textOf(reply)).toContain("I sent you a login link in a direct message");
  expect(textOf(reply)).not.toContain("/admin/login/");
  const link = await loginLinkFromDirectMessage();

  const context = await browser.context({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(link);
  await page.click("button[type=submit]");
  await page.waitForURL(`${service.url}/admin/requests`);
  expect(await page.textContent("nav.admin")).toContain(room.moderator.userId);
  await page.fill("#f-q", applicant.username);
  await page.click("form.filters button");
  await page.click(`a[href="/admin/requests/${request.id}"]`);
  expect(await page.textContent("main")).toContain(applicant.email);
  await page.screenshot({ path: join(artifactsDir, "portal-request-1280.png"), fullPage: true });
  await page.click(`form[action="/admin/requests/${request.id}/approve"] button`);
  await page.waitForSelector("text=Your vote was recorded.");

  const provisioned = await waitForState(service, request.id, "provisioned", 30_000);
  expect(provisioned.decidedBy).toBe(`portal:${room.moderator.userId}`);
  expect(
    await createSynapseClient({
      url: synapse.url,
      serverName: synapse.serverName,
      adminToken: synapse.adminToken,
    }).getUser(provisioned.userId!),
  ).not.toBeNull();
  await waitForEvent(
    synapse,
    room.moderator,
    room.roomId,
    (e) =>
      e.content["m.relates_to"]?.event_id === provisioned.roomEventId &&
      String(e.content["m.new_content"]?.body).includes(`Approved by portal:${room.moderator.userId}`),
  );
  const audit = await service.deps.store.auditTrail(request.id);
  expect(audit.find((a) => a.action === "vote")).toMatchObject({
    actor: room.moderator.userId,
    detail: { decision: "approve", source: "portal" },
  });

  // The link was used up; a fresh browser without the session sees the sign-in hint.
  const again = await new WebClient(service.url).get(new URL(link).pathname);
  expect(again.status).toBe(410);
  const anonymous = await new WebClient(service.url).get("/admin/requests");
  expect(anonymous.status).toBe(403);
  expect(anonymous.body).toContain("!login");
  await context.close();
});

/** Signs `user` in to the portal with a link made by the core (the room's !login is tested above). */
async function signIn(user: TestUser): Promise<WebClient> {
  const issued = await issuePortalLogin(service.deps.moderation, {
    kind: "moderator",
    userId: parseUserId(user.userId)!,
  });
  if (!issued.ok) throw new Error("no sign-in link");
  const web = new WebClient(service.url);
  const path = new URL(issued.url).pathname;
  expect((await web.get(path)).status).toBe(200);
  expect((await web.postForm(path, {})).location).toBe("/admin");
  return web;
}

it("the portal manages bans, invitations and permissions, with anti-forgery values and the room's audit rows", async () => {
  const sent = await say(synapse, room.moderator, room.roomId, "!login");
  await waitForEvent(
    synapse,
    room.moderator,
    room.roomId,
    (e) => e.content["m.relates_to"]?.["m.in_reply_to"]?.event_id === sent,
  );
  const link = await loginLinkFromDirectMessage();
  const web = new WebClient(service.url);
  await web.get(new URL(link).pathname);
  expect((await web.postForm(new URL(link).pathname, {})).location).toBe("/admin");
  const db = service.deps.database.db;
  const actor = `portal:${room.moderator.userId}`;
  await expectAuditRow(db, {
    action: "portal_session_opened",
    actor,
    detail: { userId: room.moderator.userId },
  });

  await web.get("/admin/bans");
  expect(
    (
      await web.postForm("/admin/bans", {
        kind: "domain",
        value: "Spam.Example",
        reason: "portal test",
        expires: "30d",
      })
    ).status,
  ).toBe(303);
  const ban = await expectAuditRow(db, {
    action: "ban_added",
    actor,
    detail: { kind: "domain", value: "spam.example", reason: "portal test", created: true },
  });
  expect((await web.get("/admin/bans")).body).toContain("spam.example");
  for (const [fields, label] of [
    [{ kind: "ip", value: "999.1.1.1" }, "Value"],
    [{ kind: "dns", value: "x.example" }, "Kind"],
    [{ kind: "domain", value: "x.example", expires: "soon" }, "Expires after"],
  ] as const) {
    const refused = await web.postForm("/admin/bans", fields);
    expect(refused.status, JSON.stringify(fields)).toBe(422);
    expect(refused.body).toContain(`${label}: &quot;`);
  }
  // A NUL byte never reaches the ban code: the one boundary check of every form answers with a 400 page.
  const nul = await web.postForm("/admin/bans", { kind: "username", value: "a\u0000b" });
  expect(nul.status).toBe(400);
  expect(nul.body).toContain("<html");
  expect(
    (await web.postForm("/admin/bans", { kind: "domain", value: "x.example", _csrf: "wrong" })).status,
  ).toBe(403);
  await web.get("/admin/bans");
  expect((await web.postForm(`/admin/bans/${String(ban.detail["id"])}/remove`, {})).status).toBe(303);
  await expectAuditRow(db, {
    action: "ban_lifted",
    actor,
    detail: { id: ban.detail["id"], value: "spam.example" },
  });
  expect((await web.get("/admin/bans")).body).not.toContain("spam.example");

  await web.get("/admin/tokens");
  expect(
    (await web.postForm("/admin/tokens", { uses: "3", expires: "2d", note: "from the portal" })).status,
  ).toBe(303);
  const created = await expectAuditRow(db, {
    action: "token_created",
    actor,
    detail: { usesAllowed: 3, note: "from the portal" },
  });
  const tokens = await web.get("/admin/tokens");
  expect(tokens.body).toContain("from the portal");
  expect(tokens.body).toContain("/invite/");
  expect((await web.postForm("/admin/tokens", { uses: "many" })).status).toBe(422);
  const token = String(created.detail["token"]);
  expect((await web.postForm(`/admin/tokens/${token}/delete`, {})).status).toBe(303);
  await expectAuditRow(db, { action: "token_deleted", actor, detail: { token } });
  expect((await web.get("/admin/tokens")).body).not.toContain(token);

  await web.get("/admin/permissions");
  expect((await web.postForm("/admin/permissions", { subject: room.member.userId })).status).toBe(303);
  await expectAuditRow(db, {
    action: "permission_granted",
    actor,
    detail: { subject: room.member.userId, scope: "tokens" },
  });
  expect((await web.get("/admin/permissions")).body).toContain(room.member.userId);
  expect((await web.postForm("/admin/permissions", { subject: "alice" })).status).toBe(422);
  expect((await web.postForm("/admin/permissions/remove", { subject: room.member.userId })).status).toBe(303);
  await expectAuditRow(db, { action: "permission_revoked", actor, detail: { subject: room.member.userId } });
  expect((await web.get("/admin/permissions")).body).not.toContain(room.member.userId);
});

it("lists the moderator's own sessions, and 'sign out everywhere' ends them all", async () => {
  const first = await signIn(room.moderator2);
  const second = await signIn(room.moderator2);
  const other = await signIn(room.moderator);
  const listed = await first.get("/admin/sessions");
  expect(listed.status).toBe(200);
  expect(listed.body.match(/<tr><td>/g)).toHaveLength(2);
  expect(listed.body).toContain("this browser");
  expect((await first.postForm("/admin/sessions/revoke", {})).status).toBe(200);
  await expectAuditRow(service.deps.database.db, {
    action: "portal_sessions_revoked",
    actor: `portal:${room.moderator2.userId}`,
    detail: { userId: room.moderator2.userId, count: 2 },
  });
  for (const web of [first, second]) expect((await web.get("/admin/requests")).status).toBe(403);
  expect((await other.get("/admin/requests")).status).toBe(200);
  // Signing out ends just that session.
  await other.get("/admin/requests");
  expect((await other.postForm("/admin/logout", {})).location).toBe("/");
  expect((await other.get("/admin/requests")).status).toBe(403);
});

it("a moderator who is demoted and kicked can no longer view or decline, and the attempt changes nothing", async () => {
  // A moderator of their own in this room, so the other tests keep theirs.
  const demoted = await registerModerator();
  const web = await signIn(demoted);
  const request = await pendingRequest(service.deps.database.db, service.deps.store, "demoted");
  expect((await web.get(`/admin/requests/${request.id}`)).status).toBe(200);

  await setPowerLevel(demoted.userId, 0);
  const kick = await matrixRequest(
    synapse,
    "POST",
    `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/kick`,
    { accessToken: room.moderator.accessToken, body: { user_id: demoted.userId, reason: "demoted" } },
  );
  expect(kick.status).toBe(200);

  const decline = await web.postForm(`/admin/requests/${request.id}/decline`, { reason: "too late" });
  expect(decline.status).toBe(403);
  expect(decline.body).toContain("You are no longer a moderator");
  const after = await service.deps.store.getRequest(request.id);
  expect(after?.state).toBe("pending");
  expect(await service.deps.store.listVotes(request.id)).toEqual([]);
  expect((await service.deps.store.auditTrail(request.id)).some((a) => a.action === "vote")).toBe(false);
  await expectAuditRow(service.deps.database.db, {
    action: "portal_sessions_revoked",
    actor: "system:rights",
    detail: { userId: demoted.userId, cause: "not_moderator", membership: "leave", powerLevel: 0 },
  });
  // The session is gone for good, also for reading.
  const view = await web.get(`/admin/requests/${request.id}`);
  expect(view.status).toBe(403);
  expect(view.body).not.toContain(request.email);
});

/** A new user with power level 50 who joined the moderators' room. */
async function registerModerator(): Promise<TestUser> {
  const user = await registerUser(synapse);
  const invite = await matrixRequest(
    synapse,
    "POST",
    `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/invite`,
    { accessToken: room.moderator.accessToken, body: { user_id: user.userId } },
  );
  expect(invite.status).toBe(200);
  const joined = await matrixRequest(
    synapse,
    "POST",
    `/_matrix/client/v3/join/${encodeURIComponent(room.roomId)}`,
    { accessToken: user.accessToken, body: {} },
  );
  expect(joined.status).toBe(200);
  await setPowerLevel(user.userId, 50);
  return user;
}

async function setPowerLevel(userId: string, level: number): Promise<void> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/state/m.room.power_levels/`;
  const current = await matrixRequest(synapse, "GET", path, { accessToken: room.moderator.accessToken });
  const users = { ...(current.body["users"] as Record<string, number>), [userId]: level };
  const put = await matrixRequest(synapse, "PUT", path, {
    accessToken: room.moderator.accessToken,
    body: { ...current.body, users },
  });
  expect(put.status).toBe(200);
}

it("refuses to act, on a translated page, when the rights cannot be checked (homeserver unreachable)", async () => {
  // A second service whose homeserver does not answer: nothing it serves under /admin may work.
  const offline = await startTestService({
    config: {
      homeserver: { url: "http://127.0.0.1:9", serverName: synapse.serverName, requestTimeoutMs: 2_000 },
      bot: { enabled: false, accessToken: room.bot.accessToken, moderatorRoom: room.roomId },
    },
  });
  try {
    const request = await pendingRequest(offline.deps.database.db, offline.deps.store, "offline");
    const userId = parseUserId(room.moderator.userId)!;
    const issued = await issuePortalLogin(offline.deps.moderation, { kind: "moderator", userId });
    if (!issued.ok) throw new Error("no sign-in link");
    const web = new WebClient(offline.url);
    const path = new URL(issued.url).pathname;
    await web.get(`${path}?lang=de`);
    const refused = await web.postForm(path, {});
    expect(refused.status).toBe(503);
    expect(refused.body).toContain("Deine Moderationsrechte lassen sich gerade nicht prüfen");
    // The link was not used up by the refusal.
    expect((await web.get(path)).status).toBe(200);
    expect(await auditRows(offline.deps.database.db, { action: "portal_session_opened" })).toEqual([]);

    // A session opened while the rights could be checked stops working too, and a decline changes nothing.
    const opened = await openPortalSession(
      {
        ...offline.deps.moderation,
        rights: {
          check: () => Promise.resolve({ ok: true, moderator: true, powerLevel: 100, membership: "join" }),
        },
      },
      { token: path.split("/").pop()! },
    );
    if (!opened.ok) throw new Error(`no session: ${opened.reason}`);
    web.setCookie("vestibule_admin", opened.session);
    const page = await web.get("/admin/requests");
    expect(page.status).toBe(503);
    expect(page.body).not.toContain(request.localpart);
    const decline = await web.postForm(`/admin/requests/${request.id}/decline`, { reason: "x" });
    expect(decline.status).toBe(503);
    expect((await offline.deps.store.getRequest(request.id))?.state).toBe("pending");
  } finally {
    await offline.stop();
  }
});
