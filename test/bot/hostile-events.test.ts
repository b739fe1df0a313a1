// Issue 17, finding 1: one message used to stop the bot. A member sends !help whose reply relation carries a NUL
// byte (Synapse accepts it); the bot must record that event as failed, skip it, and go on: a moderator's vote and
// command after it are handled, on both databases.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitForState } from "../support/flows.ts";
import { matrixRequest } from "../support/homeserver.ts";
import { createModeratorRoom, react, roomEvents } from "../support/matrix-room.ts";
import { databaseKinds } from "../support/database.ts";
import { startTestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { ask, botConfig, pendingWithMessage, waitForBotReady } from "./room.ts";

const synapse = inject("synapse");
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.stop();
});

for (const kind of databaseKinds) {
  describe(`a hostile event [${kind}]`, () => {
    it("a NUL in m.in_reply_to is skipped and recorded; the moderators' vote and command after it still count", async () => {
      const room = await createModeratorRoom(synapse);
      const service = await startTestService({
        database: kind,
        config: botConfig(synapse, sink, room, { bot: { approvalsRequired: 2 } }),
      });
      try {
        await waitForBotReady(service);
        const { request, eventId } = await pendingWithMessage(service, sink);

        // A raw PUT through the client API, as any member's client could send it.
        const hostile = await matrixRequest(
          synapse,
          "PUT",
          `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/send/m.room.message/hostile-${Date.now()}`,
          {
            accessToken: room.member.accessToken,
            body: {
              msgtype: "m.text",
              body: "!help",
              "m.relates_to": { "m.in_reply_to": { event_id: "$abc\u0000def" } },
            },
          },
        );
        expect(hostile.status, JSON.stringify(hostile.body)).toBe(200);
        const hostileId = String(hostile.body["event_id"]);

        await react(synapse, room.moderator, room.roomId, eventId, "✅");
        expect(await ask(synapse, room, room.moderator2, `!approve ${request.id}`)).toBe(
          `Request #${request.id} approved; the account is being created.`,
        );
        await waitForState(service, request.id, "provisioned");

        // The hostile event was handled before the command (same room, earlier): skipped, not answered.
        const replies = (await roomEvents(synapse, room.moderator, room.roomId)).filter(
          (e) => e.content["m.relates_to"]?.["m.in_reply_to"]?.event_id === hostileId,
        );
        expect(replies).toEqual([]);
        expect(service.deps.health.get("bot")).toMatchObject({
          status: "ok",
          detail: expect.stringContaining(`last skipped event ${hostileId}`),
        });
        expect(await service.deps.metrics.render()).toMatch(
          /^vestibule_bot_events_failed_total\{reason="malformed"\} 1$/m,
        );
        expect(service.logs).toContainEqual(
          expect.objectContaining({ eventId: hostileId, msg: "malformed room event skipped" }),
        );
      } finally {
        await service.stop();
      }
    }, 120_000);
  });
}
