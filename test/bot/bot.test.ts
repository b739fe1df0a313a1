// The moderator bot in a real room on the real Synapse: votes by reaction and command, power levels, quorum,
// withdrawn votes, edits, restarts without losing or repeating anything, and one bot across two instances.
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RequestId } from "../../src/registration/types.ts";
import { mailTo, newApplicant, waitForState } from "../support/flows.ts";
import {
  createModeratorRoom,
  react,
  redact,
  roomEvents,
  say,
  textOf,
  waitForEvent,
  type ModeratorRoom,
} from "../support/matrix-room.ts";
import { createScratchDatabase } from "../support/postgres.ts";
import { ask as askBot, botConfig, pendingWithMessage, waitForBotReady } from "./room.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { WebClient } from "../support/web-client.ts";

const synapse = inject("synapse");
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.stop();
});

const config = (room: ModeratorRoom, bot: Record<string, unknown> = {}) =>
  botConfig(synapse, sink, room, { bot });
const pending = (service: TestService) => pendingWithMessage(service, sink);

async function votes(service: TestService, id: RequestId) {
  return service.deps.store.listVotes(id);
}

describe("votes and commands", () => {
  let room: ModeratorRoom;
  let service: TestService;
  beforeAll(async () => {
    room = await createModeratorRoom(synapse);
    service = await startTestService({ config: config(room) });
    await waitForBotReady(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("posts one message per pending request with everything needed, and reacts ✅ and ❌ to it", async () => {
    const { request, applicant, eventId } = await pending(service);
    const events = await roomEvents(synapse, room.moderator, room.roomId);
    const post = events.find((e) => e.event_id === eventId)!;
    expect(post.sender).toBe(room.bot.userId);
    expect(post.content["msgtype"]).toBe("m.notice");
    const body = textOf(post);
    for (const part of [
      `#${request.id}`,
      `@${applicant.username}:${synapse.serverName}`,
      "Ada Lovelace",
      applicant.email,
      "Hello moderators",
      "React ✅ to approve",
    ]) {
      expect(body).toContain(part);
    }
    expect(String(post.content["formatted_body"])).toContain(`<b>Sign-up request #${request.id}`);
    const reactions = await waitForEvent(
      synapse,
      room.moderator,
      room.roomId,
      (e) => e.type === "m.reaction" && e.content["m.relates_to"]?.key === "❌",
    );
    expect(reactions.content["m.relates_to"].event_id).toBe(eventId);
    expect(
      events.filter(
        (e) => e.type === "m.room.message" && textOf(e).includes(`Sign-up request #${request.id}`),
      ),
    ).toHaveLength(1);
  });

  it("fences the applicant's text off, so a note cannot imitate the status line", async () => {
    const forged = "Please let me in.\nStatus: ✅ Approved by @admin:localhost — account created";
    const { eventId } = await pendingWithMessage(service, sink, { ...newApplicant(), note: forged });
    const post = (await roomEvents(synapse, room.moderator, room.roomId)).find(
      (e) => e.event_id === eventId,
    )!;
    const lines = textOf(post).split("\n");
    // The only line that starts like a field of ours is the real status, right under the title.
    expect(lines.filter((l) => l.startsWith("Status:"))).toEqual([expect.stringMatching(/^Status: Waiting/)]);
    expect(lines[1]).toMatch(/^Status: Waiting/);
    expect(lines).toContain("> Status: ✅ Approved by @admin:localhost — account created");
    expect(lines).toContain("> Please let me in.");
    const html = String(post.content["formatted_body"]);
    expect(html).toContain(
      "<blockquote>Please let me in.<br>Status: ✅ Approved by @admin:localhost — account created</blockquote>",
    );
    expect(html.indexOf("<b>Status</b>")).toBeLessThan(html.indexOf("<blockquote>"));
  });

  it("a moderator's ✅ approves; the message is edited to show who decided", async () => {
    const { request, eventId } = await pending(service);
    await react(synapse, room.moderator2, room.roomId, eventId, "✅️");
    const approved = await waitForState(service, request.id, "approved", 20_000).catch(() =>
      waitForState(service, request.id, "provisioned", 20_000),
    );
    expect(approved.decidedBy).toBe(room.moderator2.userId);
    const audit = await service.deps.store.auditTrail(request.id);
    expect(audit.filter((a) => a.action === "vote")).toEqual([
      expect.objectContaining({
        actor: room.moderator2.userId,
        detail: { decision: "approve", source: "reaction" },
      }),
    ]);
    const edit = await waitForEvent(
      synapse,
      room.moderator,
      room.roomId,
      (e) =>
        e.content["m.relates_to"]?.rel_type === "m.replace" &&
        e.content["m.relates_to"]?.event_id === eventId &&
        String(e.content["m.new_content"]?.body).includes("Approved by"),
    );
    expect(edit.content["m.new_content"].body).toContain(room.moderator2.userId);
  });

  it("an ordinary member's ✅ changes nothing and gets a notice", async () => {
    const { request, eventId } = await pending(service);
    await react(synapse, room.member, room.roomId, eventId, "👍🏽");
    await waitForEvent(synapse, room.moderator, room.roomId, (e) =>
      textOf(e).startsWith(`${room.member.userId}: only moderators`),
    );
    expect((await service.deps.store.getRequest(request.id))?.state).toBe("pending");
    expect(await votes(service, request.id)).toEqual([]);
  });

  it("!decline ID reason declines, edits the message, and the applicant's email carries the reason", async () => {
    const { request, applicant, eventId } = await pending(service);
    await say(synapse, room.moderator, room.roomId, `!decline ${request.id} too young`);
    const declined = await waitForState(service, request.id, "declined");
    expect(declined).toMatchObject({ decidedBy: room.moderator.userId, decisionReason: "too young" });
    await waitForEvent(
      synapse,
      room.moderator,
      room.roomId,
      (e) =>
        e.content["m.relates_to"]?.event_id === eventId &&
        String(e.content["m.new_content"]?.body).includes("Declined by") &&
        String(e.content["m.new_content"]?.body).includes("too young"),
    );
    const mail = await mailTo(sink, applicant.email, /declined/);
    expect(mail.text).toContain("Reason: too young");
  });

  it("a command sent as a reply may leave out the ID", async () => {
    const { request, eventId } = await pending(service);
    await say(
      synapse,
      room.moderator,
      room.roomId,
      `> <@x:y> Sign-up request #${request.id}\n\n!decline spam account`,
      eventId,
    );
    expect(await waitForState(service, request.id, "declined")).toMatchObject({
      decisionReason: "spam account",
    });
  });

  const ask = (user: typeof room.moderator, command: string) => askBot(synapse, room, user, command);
  const apply = async (email: string) => {
    const web = new WebClient(service.url);
    await web.get("/");
    return (await web.postForm("/register", { ...newApplicant({ email }) })).status;
  };

  it("answers malformed commands, unknown IDs and non-moderators clearly, changing nothing", async () => {
    const { request } = await pending(service);
    const cases: [typeof room.moderator, string, string][] = [
      [room.moderator, "!approve", "Which request?"],
      [room.moderator, "!approve banana", '"banana" is not a request ID'],
      [room.moderator, "!approve 999999", "There is no request #999999."],
      [room.moderator, "!frobnicate", "Unknown command !frobnicate"],
      [room.member, `!approve ${request.id}`, "only moderators"],
      [room.moderator, `!show ${request.id}`, `Sign-up request #${request.id}`],
      [room.moderator, "!pending", `#${request.id}`],
      [room.member, "!help", "!approve ID — vote to approve a request"],
    ];
    for (const [user, command, answer] of cases) expect(await ask(user, command), command).toContain(answer);
    expect((await service.deps.store.getRequest(request.id))?.state).toBe("pending");
    expect(await votes(service, request.id)).toEqual([]);
  });

  it("!ban refuses sign-ups at once, !bans lists it, !unban lifts it; members and bad values change nothing", async () => {
    expect(await ask(room.member, "!ban domain spam.example")).toContain("only moderators");
    expect(await ask(room.moderator, "!ban ip not-an-address")).toContain("Cannot ban that");
    expect(await ask(room.moderator, "!ban planet mars")).toContain("Usage: !ban ip|email|domain|username");
    expect(await service.deps.database.db.selectFrom("ban").selectAll().execute()).toEqual([]);

    expect(await ask(room.moderator, "!ban domain Spam.Example 30d bot wave")).toMatch(
      /Banned domain spam\.example \(#\d+, for 30d: bot wave\)/,
    );
    expect(await apply("someone@spam.example")).toBe(403);
    const listed = await ask(room.moderator, "!bans");
    expect(listed).toContain("spam.example");
    expect(listed).toContain(`by ${room.moderator.userId}`);
    expect(listed).toContain("bot wave");

    expect(await ask(room.moderator, "!unban domain spam.example")).toContain("Ban lifted.");
    expect(await ask(room.moderator, "!unban domain spam.example")).toContain("No such ban.");
    expect(await apply("someone-else@spam.example")).toBe(303);
  });

  it("refuses commands from outside the moderators' room", async () => {
    const { request } = await pending(service);
    const { matrixRequest } = await import("../support/homeserver.ts");
    const dm = await matrixRequest(synapse, "POST", "/_matrix/client/v3/createRoom", {
      accessToken: room.moderator.accessToken,
      body: { preset: "private_chat", invite: [room.bot.userId] },
    });
    const dmRoom = String(dm.body["room_id"]);
    // The bot only joins its own room; an invitation elsewhere is not accepted, so nothing can be decided there.
    // Once a command sent after the invitation is answered, the bot has handled the sync batch with the invitation.
    await ask(room.moderator, "!help");
    const members = await matrixRequest(
      synapse,
      "GET",
      `/_matrix/client/v3/rooms/${encodeURIComponent(dmRoom)}/joined_members`,
      { accessToken: room.moderator.accessToken },
    );
    expect(Object.keys(members.body["joined"] as object)).not.toContain(room.bot.userId);
    expect((await service.deps.store.getRequest(request.id))?.state).toBe("pending");
  });
});

describe("refusal notices", () => {
  let room: ModeratorRoom;
  let service: TestService;
  beforeAll(async () => {
    room = await createModeratorRoom(synapse);
    service = await startTestService({ config: config(room, { refusalNoticeSeconds: 600 }) });
    await waitForBotReady(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("tells a member no once per interval, however many refused actions they send; moderators always get answers", async () => {
    const { request, eventId } = await pending(service);
    const toMember = (e: { sender: string; content: Record<string, unknown> }) =>
      e.sender === room.bot.userId && textOf(e as never).startsWith(`${room.member.userId}: only moderators`);
    await react(synapse, room.member, room.roomId, eventId, "✅");
    await waitForEvent(synapse, room.moderator, room.roomId, toMember);
    await react(synapse, room.member, room.roomId, eventId, "❌");
    await say(synapse, room.member, room.roomId, `!approve ${request.id}`);
    await say(synapse, room.member, room.roomId, "!frob");
    // The moderator's command after them is answered; the bot handles a room's events in order, so by then it has
    // handled the member's too (and would have posted any notice for them before this answer).
    expect(await askBot(synapse, room, room.moderator, `!show ${request.id}`)).toContain(`#${request.id}`);
    const notices = (await roomEvents(synapse, room.moderator, room.roomId)).filter(toMember);
    expect(notices).toHaveLength(1);
    expect(await votes(service, request.id)).toEqual([]);
  });
});

describe("quorum and withdrawn votes", () => {
  let room: ModeratorRoom;
  let service: TestService;
  beforeAll(async () => {
    room = await createModeratorRoom(synapse);
    service = await startTestService({ config: config(room, { approvalsRequired: 2 }) });
    await waitForBotReady(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("needs two distinct moderators; one moderator voting twice does not count twice; a redacted reaction is withdrawn", async () => {
    const { request, eventId } = await pending(service);
    // A vote by reaction alone is withdrawn when the reaction is redacted.
    const alone = await react(synapse, room.moderator2, room.roomId, eventId, "✅");
    await expect.poll(() => votes(service, request.id), { timeout: 20_000 }).toHaveLength(1);
    await redact(synapse, room.moderator2, room.roomId, alone);
    await expect.poll(() => votes(service, request.id), { timeout: 20_000 }).toHaveLength(0);

    // A reaction and then a command with the same decision are one vote — the command's: redacting the reaction
    // afterwards does not take back what the command said (issue 17 finding 9).
    const reaction = await react(synapse, room.moderator, room.roomId, eventId, "✅");
    await expect.poll(() => votes(service, request.id), { timeout: 20_000 }).toHaveLength(1);
    await say(synapse, room.moderator, room.roomId, `!approve ${request.id}`);
    await waitForEvent(synapse, room.moderator, room.roomId, (e) =>
      textOf(e).includes(`Vote recorded for #${request.id} (1/2 approvals)`),
    );
    await redact(synapse, room.moderator, room.roomId, reaction);
    // Once the bot answered a command sent after the redaction, it has handled the redaction (events in order).
    expect(await askBot(synapse, room, room.moderator, `!show ${request.id}`)).toContain(`#${request.id}`);
    expect(await votes(service, request.id)).toMatchObject([
      { voter: room.moderator.userId, decision: "approve", source: "command", eventId: null },
    ]);
    expect((await service.deps.store.getRequest(request.id))?.state).toBe("pending");

    await react(synapse, room.moderator2, room.roomId, eventId, "✅");
    const approved = await waitForState(service, request.id, "approved", 20_000).catch(() =>
      waitForState(service, request.id, "provisioned", 20_000),
    );
    expect(approved.decidedBy).toBe(room.moderator2.userId);
  });
});

describe("restarts", () => {
  let room: ModeratorRoom;
  let databaseUrl: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    room = await createModeratorRoom(synapse);
    const scratch = await createScratchDatabase(inject("postgresUrl"));
    databaseUrl = scratch.url;
    drop = () => scratch.drop();
  });
  afterAll(async () => {
    await drop?.();
  });

  it("a vote made while the bot was down counts once after it starts, and never again", async () => {
    let service = await startTestService({
      database: "postgres",
      databaseUrl,
      config: config(room, { approvalsRequired: 2 }),
    });
    await waitForBotReady(service);
    const { request, eventId } = await pending(service);
    await service.stop();

    // While it is down: a vote and a command.
    await react(synapse, room.moderator, room.roomId, eventId, "✅");
    const command = await say(synapse, room.moderator2, room.roomId, `!show ${request.id}`);

    service = await startTestService({
      database: "postgres",
      databaseUrl,
      config: config(room, { approvalsRequired: 2 }),
    });
    await waitForBotReady(service);
    await expect.poll(() => votes(service, request.id), { timeout: 20_000 }).toHaveLength(1);
    await waitForEvent(
      synapse,
      room.moderator,
      room.roomId,
      (e) => e.content["m.relates_to"]?.["m.in_reply_to"]?.event_id === command,
    );
    await service.deps.database.db.selectFrom("bot_state").selectAll().execute();
    await service.stop();

    // Again: nothing is processed twice.
    service = await startTestService({
      database: "postgres",
      databaseUrl,
      config: config(room, { approvalsRequired: 2 }),
    });
    await waitForBotReady(service);
    const marker = await say(synapse, room.moderator, room.roomId, "!pending");
    await waitForEvent(
      synapse,
      room.moderator,
      room.roomId,
      (e) => e.content["m.relates_to"]?.["m.in_reply_to"]?.event_id === marker,
    );
    const audit = await service.deps.store.auditTrail(request.id);
    expect(audit.filter((a) => a.action === "vote")).toHaveLength(1);
    const replies = (await roomEvents(synapse, room.moderator, room.roomId)).filter(
      (e) => e.content["m.relates_to"]?.["m.in_reply_to"]?.event_id === command,
    );
    expect(replies).toHaveLength(1);
    expect(await votes(service, request.id)).toHaveLength(1);
    await service.stop();
  });
});

describe("password login", () => {
  it("logs in with bot.password, keeps its device across restarts, and works like a token login", async () => {
    const room = await createModeratorRoom(synapse);
    const scratch = await createScratchDatabase(inject("postgresUrl"));
    const passwordConfig = () =>
      config(room, { accessToken: undefined, password: room.bot.password, approvalsRequired: 1 });
    const devices = async () => {
      const listed = await fetch(`${synapse.url}/_matrix/client/v3/devices`, {
        headers: { authorization: `Bearer ${room.bot.accessToken}` },
      });
      return ((await listed.json()) as { devices: { device_id: string }[] }).devices.map((d) => d.device_id);
    };
    const before = await devices();
    try {
      let service = await startTestService({
        database: "postgres",
        databaseUrl: scratch.url,
        config: passwordConfig(),
      });
      await waitForBotReady(service);
      const { request, eventId } = await pending(service);
      await react(synapse, room.moderator, room.roomId, eventId, "✅");
      await waitForState(service, request.id, "provisioned");
      const afterFirst = await devices();
      expect(afterFirst.filter((d) => !before.includes(d))).toHaveLength(1);
      await service.stop();

      // A restart logs in again with the stored device id: no new device each time.
      service = await startTestService({
        database: "postgres",
        databaseUrl: scratch.url,
        config: passwordConfig(),
      });
      await waitForBotReady(service);
      expect(await devices()).toEqual(afterFirst);
      await service.stop();
    } finally {
      await scratch.drop();
    }
  });

  it("a wrong password shows on /healthz as a failed login", async () => {
    const room = await createModeratorRoom(synapse);
    const service = await startTestService({
      config: config(room, { accessToken: undefined, password: "not-the-password" }),
    });
    try {
      await expect
        .poll(() => service.deps.health.get("bot"), { timeout: 20_000 })
        .toMatchObject({ status: "down", detail: expect.stringMatching(/login/i) });
    } finally {
      await service.stop();
    }
  });
});

describe("decisions taken elsewhere", () => {
  it("vestibule requests decline edits the room message and emails the applicant", async () => {
    const room = await createModeratorRoom(synapse);
    const service = await startTestService({ database: "postgres", config: config(room) });
    try {
      await waitForBotReady(service);
      const { request, applicant, eventId } = await pending(service);
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("VESTIBULE_")),
      ) as Record<string, string>;
      const cli = await promisify(execFile)(
        process.execPath,
        [
          resolve(import.meta.dirname, "../../src/main.ts"),
          "requests",
          "decline",
          String(request.id),
          "not",
          "now",
        ],
        {
          env: { ...env, VESTIBULE_DATABASE_URL: service.databaseUrl!, USER: "operator" },
        },
      );
      expect(cli.stdout).toContain(`request #${request.id} declined`);
      expect(await waitForState(service, request.id, "declined")).toMatchObject({
        decidedBy: "cli:operator",
        decisionReason: "not now",
      });
      await waitForEvent(
        synapse,
        room.moderator,
        room.roomId,
        (e) =>
          e.content["m.relates_to"]?.event_id === eventId &&
          String(e.content["m.new_content"]?.body).includes("Declined by cli:operator: not now"),
      );
      const mail = await mailTo(sink, applicant.email, /declined/);
      expect(mail.text).toContain("Reason: not now");
    } finally {
      await service.stop();
    }
  });
});

describe("one bot across instances", () => {
  it("only one instance runs the bot; the other takes over when it stops", async () => {
    const room = await createModeratorRoom(synapse);
    const scratch = await createScratchDatabase(inject("postgresUrl"));
    try {
      const first = await startTestService({
        database: "postgres",
        databaseUrl: scratch.url,
        config: config(room),
      });
      await waitForBotReady(first);
      const second = await startTestService({
        database: "postgres",
        databaseUrl: scratch.url,
        config: config(room),
      });
      await expect
        .poll(() => second.deps.health.get("bot")?.detail, { timeout: 15_000 })
        .toBe("standby: another instance runs the bot");
      expect(second.bot?.session()).toBeUndefined();
      await first.stop();
      await waitForBotReady(second);
      const { request, eventId } = await pending(second);
      await react(synapse, room.moderator, room.roomId, eventId, "✅");
      await waitForState(second, request.id, "provisioned", 30_000);
      await second.stop();
    } finally {
      await scratch.drop();
    }
  });
});
