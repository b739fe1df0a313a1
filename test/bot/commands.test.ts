// Every command in a real room on the real Synapse, with its success, refusal and failure answers; the German
// catalog; and the room facts following power-level and membership changes.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseUserId } from "../../src/registration/types.ts";
import { expectAuditRow } from "../support/audit.ts";
import { waitForState } from "../support/flows.ts";
import { matrixRequest, registerUser } from "../support/homeserver.ts";
import { createModeratorRoom, roomEvents, textOf, type ModeratorRoom } from "../support/matrix-room.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { ask, botConfig, pendingWithMessage, setPowerLevel, waitForBotReady } from "./room.ts";

const synapse = inject("synapse");
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.stop();
});

describe("commands, answered", () => {
  let room: ModeratorRoom;
  let service: TestService;
  const asks = (user: ModeratorRoom["moderator"], command: string, replyTo?: string) =>
    ask(synapse, room, user, command, replyTo);

  beforeAll(async () => {
    room = await createModeratorRoom(synapse);
    service = await startTestService({ config: botConfig(synapse, sink, room) });
    await waitForBotReady(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("!approve: votes and decides; refuses members, unknown and decided requests, and bad ids", async () => {
    const { request } = await pendingWithMessage(service, sink);
    expect(await asks(room.member, `!approve ${request.id}`)).toContain("only moderators");
    expect(await asks(room.moderator, "!approve 999999")).toBe("There is no request #999999.");
    expect(await asks(room.moderator, "!approve 1 2")).toContain(
      '"2" is not expected here.\nUsage: !approve ID',
    );
    expect(await asks(room.moderator, `!approve #${request.id}`)).toBe(
      `Request #${request.id} approved; the account is being created.`,
    );
    expect(await asks(room.moderator2, `!approve ${request.id}`)).toMatch(
      new RegExp(
        `^Request #${request.id} is (approved — creating the account|account created); that cannot be done now\\.$`,
      ),
    );
  });

  it("!decline: with a reason, as a reply without the id; refuses a reason that is too long", async () => {
    const { request, eventId } = await pendingWithMessage(service, sink);
    expect(await asks(room.moderator, `!decline ${request.id} ${"x".repeat(501)}`)).toContain(
      "REASON is longer than 500 characters.\nUsage: !decline ID [REASON…]",
    );
    expect(await asks(room.moderator, "!decline not a fit", eventId)).toBe(
      `Request #${request.id} declined.`,
    );
    expect(await waitForState(service, request.id, "declined")).toMatchObject({
      decisionReason: "not a fit",
    });
    expect(await asks(room.moderator, `!decline ${request.id}`)).toBe(
      `Request #${request.id} is declined; that cannot be done now.`,
    );
  });

  it("!pending and !show: list and show; refuse members and bad ids", async () => {
    const { request } = await pendingWithMessage(service, sink);
    expect(await asks(room.moderator, "!pending")).toMatch(
      new RegExp(`waiting for a decision:\\n(.|\\n)*• #${request.id} `),
    );
    expect(await asks(room.member, "!pending")).toContain("only moderators");
    const shown = await asks(room.moderator, `!show ${request.id}`);
    expect(shown).toContain(`Sign-up request #${request.id}`);
    expect(shown).toContain("Status: Waiting for a decision — 0/1 approvals, 0/1 declines");
    expect(await asks(room.moderator, "!show x1")).toContain('"x1" is not a request ID');
    expect(await asks(room.member, `!show ${request.id}`)).toContain("only moderators");
  });

  it("!retry: tries a failed request again; refuses one that did not fail", async () => {
    const { request, applicant } = await pendingWithMessage(service, sink);
    expect(await asks(room.moderator, `!retry ${request.id}`)).toBe(
      `Request #${request.id} is waiting for a decision; that cannot be done now.`,
    );
    // The name is taken on the homeserver behind Vestibule's back: provisioning fails for good.
    await registerUser(synapse, { localpart: applicant.username });
    await asks(room.moderator, `!approve ${request.id}`);
    await waitForState(service, request.id, "failed");
    expect(await asks(room.moderator, `!retry ${request.id}`)).toBe(`Trying request #${request.id} again.`);
  });

  it("!resend: a fresh link for a provisioned request; refuses a pending one", async () => {
    const { request, applicant } = await pendingWithMessage(service, sink);
    expect(await asks(room.moderator, `!resend ${request.id}`)).toContain("that cannot be done now");
    await asks(room.moderator, `!approve ${request.id}`);
    await waitForState(service, request.id, "provisioned");
    expect(await asks(room.moderator, `!resend ${request.id}`)).toBe(
      `Sent new credentials for request #${request.id}.`,
    );
    await sink.waitFor(
      (m) => m.to.includes(applicant.email) && m.text.includes("/password/") && /new/i.test(m.subject),
    );
  });

  it("!token: create, list, show, delete; refuses members and bad arguments", async () => {
    expect(await asks(room.member, "!token create")).toContain("only moderators");
    expect(await asks(room.moderator, "!token create 0")).toContain('"0" is not a number of uses');
    const created = await asks(room.moderator, "!token create 3 2d");
    const token = /^Created a registration token:\n(\S+) — valid, 0\/3 used, expires in (1d 23h|2d)/.exec(
      created,
    )?.[1];
    expect(token, created).toBeDefined();
    expect(await asks(room.moderator, "!token list")).toContain(token);
    expect(await asks(room.moderator, `!token show ${token}`)).toContain(`${token} — valid, 0/3 used`);
    const db = service.deps.database.db;
    await expectAuditRow(db, {
      action: "token_created",
      actor: room.moderator.userId,
      detail: { token, usesAllowed: 3 },
    });
    expect(await asks(room.moderator, `!token delete ${token} nope`)).toBe(
      `Deleted ${token}. No such token: nope.`,
    );
    await expectAuditRow(db, { action: "token_deleted", actor: room.moderator.userId, detail: { token } });
    expect(await asks(room.moderator, `!token show ${token}`)).toBe(
      `There is no registration token ${token}.`,
    );
    expect(await asks(room.moderator, "!token frob")).toMatch(
      /^Usage: !token create \[USES\] \[EXPIRY\] \| !token list/,
    );
  });

  it("!allow, !disallow, !allowed: grant and take back; refuse members and what is not a user", async () => {
    expect(await asks(room.member, `!allow ${room.member.userId}`)).toContain("only moderators");
    expect(await asks(room.moderator, "!allow nobody")).toContain('"nobody" is not a user ID');
    expect(await asks(room.moderator, `!allow ${room.outsider.userId}`)).toBe(
      `${room.outsider.userId} may now use !token.`,
    );
    expect(await asks(room.moderator, "!allowed")).toContain(
      `• ${room.outsider.userId} (by ${room.moderator.userId})`,
    );
    const db = service.deps.database.db;
    await expectAuditRow(db, {
      action: "permission_granted",
      actor: room.moderator.userId,
      detail: { subject: room.outsider.userId, scope: "tokens" },
    });
    expect(await asks(room.moderator, `!disallow ${room.outsider.userId}`)).toBe(
      `${room.outsider.userId} may no longer use !token.`,
    );
    expect(await asks(room.moderator, `!disallow ${room.outsider.userId}`)).toBe(
      `${room.outsider.userId} was not on the list.`,
    );
    expect(await asks(room.moderator, "!allowed")).toBe("Only moderators may manage tokens.");
    await expectAuditRow(db, {
      action: "permission_revoked",
      actor: room.moderator.userId,
      detail: { subject: room.outsider.userId },
    });
  });

  it("!ban and !unban write the same audit rows as the portal and the CLI (actor: the moderator)", async () => {
    const db = service.deps.database.db;
    expect(await asks(room.moderator, "!ban username ^spam 2d waves")).toMatch(
      /^Banned username \^spam \(#\d+, for 2d: waves\)\.$/,
    );
    await expectAuditRow(db, {
      action: "ban_added",
      actor: room.moderator.userId,
      detail: { kind: "username", value: "^spam", reason: "waves", created: true },
    });
    expect(await asks(room.moderator, "!unban username ^spam")).toBe("Ban lifted.");
    await expectAuditRow(db, {
      action: "ban_lifted",
      actor: room.moderator.userId,
      detail: { kind: "username", value: "^spam" },
    });
  });

  it("!ban, !unban, !bans: refuse bad targets; !bans refuses members", async () => {
    expect(await asks(room.moderator, "!ban email not-an-address")).toBe(
      'Cannot ban that: "not-an-address" is not an email address.',
    );
    expect(await asks(room.moderator, "!unban 999999")).toBe("No such ban. (!bans lists them.)");
    expect(await asks(room.moderator, "!unban planet mars")).toContain(
      '"planet" is neither a ban number nor',
    );
    expect(await asks(room.member, "!bans")).toContain("only moderators");
  });

  it("!login: sends the link privately; refuses members", async () => {
    expect(await asks(room.member, "!login")).toContain("only moderators");
    expect(await asks(room.moderator, "!login")).toBe(
      `${room.moderator.userId}: I sent you a login link in a direct message.`,
    );
  });

  it("!help and !help COMMAND come from the definitions; unknown commands are named", async () => {
    const help = await asks(room.member, "!help");
    for (const line of [
      "!approve ID — vote to approve a request",
      "!decline ID [REASON…] — vote to decline a request",
      "!token create [USES] [EXPIRY] — make a registration token",
      "!ban ip|email|domain|username VALUE [DURATION] [REASON…] — refuse sign-ups",
      "!help [COMMAND…] — this list",
    ])
      expect(help).toContain(line);
    expect(await asks(room.member, "!help unban")).toBe(
      "!unban ID|KIND VALUE — lift a ban\n  Who may: moderators (moderators: power level 50 or more).",
    );
    expect(await asks(room.member, "!help frob")).toBe("Unknown command !frob. Send !help for the list.");
    expect(await asks(room.member, "!frob")).toBe("Unknown command !frob. Send !help for the list.");
  });

  it("follows power levels and membership: a promoted member moderates, and a kicked one is no longer current", async () => {
    const session = service.bot!.session()!;
    const member = parseUserId(room.member.userId)!;
    expect(session.facts.isCurrentModerator(member)).toBe(false);
    await setPowerLevel(synapse, room, room.member.userId, 50);
    expect(await asks(room.member, "!pending")).not.toContain("only moderators");
    expect(session.facts.isCurrentModerator(member)).toBe(true);
    const kicked = await matrixRequest(
      synapse,
      "POST",
      `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/kick`,
      {
        accessToken: room.moderator.accessToken,
        body: { user_id: room.member.userId },
      },
    );
    expect(kicked.status).toBe(200);
    // Answered after the kick was synced: the facts have it by then.
    await asks(room.moderator, "!help");
    expect(session.facts.isCurrentModerator(member)).toBe(false);
  });
});

describe("when the homeserver refuses the admin call", () => {
  it("!token create and !token show are answered with the homeserver's reason and an incident id", async () => {
    const room = await createModeratorRoom(synapse);
    // The admin token of someone who is not a server admin: every admin call is refused (403).
    const notAdmin = await registerUser(synapse);
    const service = await startTestService({
      config: botConfig(synapse, sink, room, { homeserver: { adminToken: notAdmin.accessToken } }),
    });
    try {
      await waitForBotReady(service);
      for (const command of ["!token create", "!token show abc"]) {
        const answer = await ask(synapse, room, room.moderator, command);
        const incident = /^That did not work: You are not a server admin \(incident (\w+)\)$/.exec(
          answer,
        )?.[1];
        expect(incident, answer).toBeDefined();
        expect(service.logs).toContainEqual(expect.objectContaining({ incident, msg: "command failed" }));
      }
      expect(service.logText()).not.toContain(notAdmin.accessToken);
    } finally {
      await service.stop();
    }
  });
});

describe("bot.locale de", () => {
  it("posts the request and answers in German", async () => {
    const room = await createModeratorRoom(synapse);
    const service = await startTestService({
      config: botConfig(synapse, sink, room, { bot: { locale: "de" } }),
    });
    try {
      await waitForBotReady(service);
      const { request, eventId } = await pendingWithMessage(service, sink);
      const post = (await roomEvents(synapse, room.moderator, room.roomId)).find(
        (e) => e.event_id === eventId,
      )!;
      expect(textOf(post)).toContain(`Registrierungsanfrage #${request.id}`);
      expect(textOf(post)).toContain("Reagiere mit ✅ zum Annehmen");
      expect(await ask(synapse, room, room.member, "!help")).toContain(
        "!approve ID — für die Annahme einer Anfrage stimmen",
      );
      expect(await ask(synapse, room, room.moderator, "!approve")).toContain("Welche Anfrage?");
      expect(await ask(synapse, room, room.member, `!approve ${request.id}`)).toContain(
        "Das dürfen hier nur Moderatoren",
      );
      expect(await ask(synapse, room, room.moderator, `!decline ${request.id} passt nicht`)).toBe(
        `Anfrage #${request.id} abgelehnt.`,
      );
    } finally {
      await service.stop();
    }
  });
});
