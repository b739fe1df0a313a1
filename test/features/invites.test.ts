// Registration tokens end to end on the real Synapse: created in the room, used through /invite/TOKEN to register
// (the homeserver counts the use), visible in !token show; command permissions with !allow.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import { mailTo, newApplicant, waitForState } from "../support/flows.ts";
import {
  createModeratorRoom,
  say,
  textOf,
  waitForEvent,
  type ModeratorRoom,
} from "../support/matrix-room.ts";
import { matrixRequest } from "../support/homeserver.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { findLink, WebClient } from "../support/web-client.ts";

const synapse = inject("synapse");
const client = createSynapseClient({
  url: synapse.url,
  serverName: synapse.serverName,
  adminToken: synapse.adminToken,
});
let sink: SmtpSink;
let room: ModeratorRoom;
let service: TestService;

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
        // The member is refused twice in a row here; the rate limit of refusals has its own test.
        refusalNoticeSeconds: 0,
      },
    },
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !service.deps.health.get("bot")?.detail?.startsWith("in "))
    await new Promise((r) => setTimeout(r, 100));
});
afterAll(async () => {
  await service?.stop();
  await sink?.stop();
});

async function ask(user: ModeratorRoom["moderator"], command: string) {
  const sent = await say(synapse, user, room.roomId, command);
  return textOf(
    await waitForEvent(
      synapse,
      room.moderator,
      room.roomId,
      (e) => e.content["m.relates_to"]?.["m.in_reply_to"]?.event_id === sent,
    ),
  );
}

describe("tokens from the room and invite sign-up", () => {
  it("!token create gives an invite link; signing up through it registers with that token and !token show counts the use", async () => {
    const created = await ask(room.moderator, "!token create 2 1d");
    const link = /(http:\/\/\S+\/invite\/(\S+))/.exec(created);
    expect(link, created).not.toBeNull();
    const [, inviteUrl, token] = link!;
    expect(created).toContain("0/2 used");
    expect(await client.getRegistrationToken(token!)).toMatchObject({ usesAllowed: 2, completed: 0 });

    const web = new WebClient(service.url);
    const page = await web.get(new URL(inviteUrl!).pathname);
    expect(page.status).toBe(200);
    expect(page.body).toContain("You are invited");
    expect(page.body).not.toContain('name="note"" required');
    const applicant = newApplicant();
    const submitted = await web.postForm(new URL(inviteUrl!).pathname, {
      username: applicant.username,
      email: applicant.email,
      first_name: "Invited",
      last_name: "Person",
      note: "",
    });
    expect(submitted.status, submitted.body.slice(0, 500)).toBe(303);
    const mail = await mailTo(sink, applicant.email, /confirm your email/);
    const verify = findLink(mail.text, `${service.url}/verify/`);
    await web.get(verify);
    const confirmed = await web.postForm(verify, {});
    // The invite skips review: straight on to choosing the password.
    expect(confirmed.location).toMatch(/^\/register\/[A-Za-z0-9_-]{43}$/);
    await web.get(confirmed.location!);
    const done = await web.postForm(confirmed.location!, {
      password: "Invited-Pass-77",
      password_confirm: "Invited-Pass-77",
    });
    expect(done.body).toContain("Your account is ready");

    const request = (await service.deps.store.listRequests({ search: applicant.username }))[0]!;
    expect(await waitForState(service, request.id, "provisioned")).toMatchObject({
      origin: "invite",
      decidedBy: "system:invite",
    });
    const login = await matrixRequest(synapse, "POST", "/_matrix/client/v3/login", {
      body: {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: applicant.username },
        password: "Invited-Pass-77",
      },
    });
    expect(login.status).toBe(200);
    expect(await client.getRegistrationToken(token!)).toMatchObject({ completed: 1 });
    const shown = await ask(room.moderator, `!token show ${token}`);
    expect(shown).toContain("1/2 used");
    expect(shown).toContain(`used by @${applicant.username}:${synapse.serverName}`);
    expect(
      sink.messages.filter((m) => m.to.includes(applicant.email) && /ready/i.test(m.subject)).length,
    ).toBeLessThanOrEqual(1);
  });

  it("/?token= leads to the invite page; unknown, used and expired tokens get clear pages before any email", async () => {
    const web = new WebClient(service.url);
    const redirect = await web.get("/?token=abc123");
    expect(redirect).toMatchObject({ status: 302, location: "/invite/abc123" });
    const unknown = await web.get("/invite/no-such-token");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain("This invitation is not valid");

    const used = await client.createRegistrationToken({ usesAllowed: 1 });
    await client.registerWithToken({
      username: newApplicant().username,
      password: "Some-Pass-123",
      token: used.token,
    });
    const usedPage = await web.get(`/invite/${used.token}`);
    expect(usedPage.status).toBe(410);
    expect(usedPage.body).toContain("already used");

    const expiring = await client.createRegistrationToken({ usesAllowed: 1, expiryTime: Date.now() + 1500 });
    await new Promise((r) => setTimeout(r, 1600));
    const expiredPage = await web.get(`/invite/${expiring.token}`);
    expect(expiredPage.status).toBe(410);
    expect(expiredPage.body).toContain("expired");
    await web.get("/");
    const before = sink.messages.length;
    const refused = await web.postForm(`/invite/${expiring.token}`, {
      username: newApplicant().username,
      email: "late@example.org",
      first_name: "Late",
    });
    expect(refused.status).toBe(410);
    expect(sink.messages.length).toBe(before);
  });
});

describe("command permissions", () => {
  it("refuses !token to a member who is not allowed, and lets them after !allow; !disallow takes it back", async () => {
    expect(await ask(room.member, "!token list")).toContain("only moderators");
    expect(await ask(room.member, "!allow @someone:localhost")).toContain("only moderators");
    expect(await ask(room.moderator, `!allow ${room.member.userId}`)).toContain("may now use !token");
    expect(await ask(room.moderator, "!allowed")).toContain(room.member.userId);
    expect(await ask(room.member, "!token list")).toMatch(
      /valid registration token|No valid registration tokens/,
    );
    expect(await ask(room.moderator, `!disallow ${room.member.userId}`)).toContain("may no longer use");
    expect(await ask(room.member, "!token list")).toContain("only moderators");
    expect(await ask(room.moderator, "!allow /^@member-.*:localhost$/")).toContain("may now use");
    expect(await ask(room.member, "!token create 1 2h")).toContain("Created a registration token");
    expect(await ask(room.moderator, "!allow not-a-user")).toContain("is not a user ID");
  });

  it("!token delete-all asks for confirmation first, and spares the tokens of approved requests", async () => {
    const made = /invite\/(\S+)/.exec(await ask(room.moderator, "!token create"))![1]!;
    const approval = await client.createRegistrationToken({ usesAllowed: 1 });
    await service.deps.database.db
      .insertInto("homeserver_token")
      .values({
        token: approval.token,
        purpose: "approval",
        request_id: null,
        created_by: "system:provisioning",
        created_at: new Date(),
      })
      .execute();
    const question = await ask(room.moderator, "!token delete-all");
    expect(question).toContain("send !token delete-all confirm within 2 minutes");
    expect(await client.getRegistrationToken(made)).not.toBeNull();
    expect(await ask(room.moderator, "!token delete-all confirm")).toMatch(/Deleted \d+ registration token/);
    expect(await client.getRegistrationToken(made)).toBeNull();
    expect(await client.getRegistrationToken(approval.token)).not.toBeNull();
    await client.deleteRegistrationToken(approval.token);
    expect(await ask(room.moderator, "!token delete-all confirm")).toContain("Nothing to confirm");
  });
});

describe("invitation pages under load", () => {
  it("are rate-limited per client (the page asks the homeserver about the token)", async () => {
    // Last in this file: it spends the loopback client's budget of invitation pages (30 a minute by default).
    const web = new WebClient(service.url);
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await web.get(`/invite/no-such-token-${i}`)).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    const limited = await web.get("/invite/another-token");
    expect(limited.status).toBe(429);
    expect(limited.body).toContain("Too many attempts");
  });
});
