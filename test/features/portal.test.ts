// The moderators' portal in Chromium: !login sends a one-time link by direct message; the portal approves a
// request, which edits the room message and creates the account; the link cannot be used twice.
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import { artifactsDir, launchBrowser, type TestBrowser } from "../support/browser.ts";
import { applyAndVerify, waitForState } from "../support/flows.ts";
import { matrixRequest } from "../support/homeserver.ts";
import {
  createModeratorRoom,
  roomEvents,
  say,
  textOf,
  waitForEvent,
  type ModeratorRoom,
  type RoomEvent,
} from "../support/matrix-room.ts";
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

it("the portal manages bans and invitations, with anti-forgery values on every form", async () => {
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
  await web.get("/admin/bans");
  expect(
    (
      await web.postForm("/admin/bans", {
        kind: "domain",
        value: "spam.example",
        reason: "portal test",
        expires: "30d",
      })
    ).status,
  ).toBe(303);
  expect((await web.get("/admin/bans")).body).toContain("spam.example");
  expect((await web.postForm("/admin/bans", { kind: "ip", value: "999.1.1.1" })).status).toBe(422);
  expect(
    (await web.postForm("/admin/bans", { kind: "domain", value: "x.example", _csrf: "wrong" })).status,
  ).toBe(403);
  await web.get("/admin/tokens");
  expect(
    (await web.postForm("/admin/tokens", { uses: "3", expires: "2d", note: "from the portal" })).status,
  ).toBe(303);
  const tokens = await web.get("/admin/tokens");
  expect(tokens.body).toContain("from the portal");
  expect(tokens.body).toContain("/invite/");
  expect((await web.postForm("/admin/tokens", { uses: "many" })).status).toBe(422);
});
