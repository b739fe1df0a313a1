// The bot and its room when things are not as they should be: a room that does not exist, a room the bot was not
// invited to (it joins once invited), an encrypted room (it refuses to post request details in the clear); and
// the reminder job for requests that waited too long.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createRegistrationStore } from "../../src/db/registration.store.ts";
import { remindPending } from "../../src/jobs/reminders.ts";
import { describeEachDatabase } from "../support/database.ts";
import { applyAndVerify } from "../support/flows.ts";
import { matrixRequest } from "../support/homeserver.ts";
import { createModeratorRoom, roomEvents, textOf, type ModeratorRoom } from "../support/matrix-room.ts";
import { pendingRequest } from "../support/requests.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

const synapse = inject("synapse");
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.stop();
});

function serviceFor(room: ModeratorRoom, moderatorRoom: string): Promise<TestService> {
  return startTestService({
    config: {
      homeserver: { url: synapse.url, serverName: synapse.serverName, adminToken: synapse.adminToken },
      mail: { smtp: sink.smtpConfig() },
      bot: { enabled: true, userId: room.bot.userId, accessToken: room.bot.accessToken, moderatorRoom },
    },
  });
}

describe("the bot's room", () => {
  it("a room that does not exist is reported on /healthz; the service keeps serving", async () => {
    const room = await createModeratorRoom(synapse);
    const service = await serviceFor(room, `#missing-${Date.now()}:${synapse.serverName}`);
    try {
      await expect
        .poll(() => service.deps.health.get("bot"), { timeout: 15_000 })
        .toMatchObject({ status: "down", detail: expect.stringMatching(/does not exist/) });
      expect((await fetch(`${service.url}/`)).status).toBe(200);
    } finally {
      await service.stop();
    }
  });

  it("a room it was not invited to is reported; once invited, it joins by itself", async () => {
    const room = await createModeratorRoom(synapse);
    const created = await matrixRequest(synapse, "POST", "/_matrix/client/v3/createRoom", {
      accessToken: room.moderator.accessToken,
      body: { preset: "private_chat", name: "Closed" },
    });
    const closed = String(created.body["room_id"]);
    const service = await serviceFor(room, closed);
    try {
      await expect
        .poll(() => service.deps.health.get("bot"), { timeout: 15_000 })
        .toMatchObject({ status: "down", detail: expect.stringMatching(/invite the bot/) });
      const invited = await matrixRequest(
        synapse,
        "POST",
        `/_matrix/client/v3/rooms/${encodeURIComponent(closed)}/invite`,
        { accessToken: room.moderator.accessToken, body: { user_id: room.bot.userId } },
      );
      expect(invited.status).toBe(200);
      await expect
        .poll(() => service.deps.health.get("bot"), { timeout: 30_000 })
        .toMatchObject({ status: "ok", detail: expect.stringContaining(`in ${closed}`) });
    } finally {
      await service.stop();
    }
  });

  it("in an encrypted room it says end-to-end encryption is not supported and posts no request details", async () => {
    const room = await createModeratorRoom(synapse);
    const encrypted = await matrixRequest(
      synapse,
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/state/m.room.encryption/`,
      { accessToken: room.moderator.accessToken, body: { algorithm: "m.megolm.v1.aes-sha2" } },
    );
    expect(encrypted.status).toBe(200);
    const service = await serviceFor(room, room.roomId);
    try {
      await expect
        .poll(() => service.deps.health.get("bot"), { timeout: 20_000 })
        .toMatchObject({ status: "degraded", detail: expect.stringMatching(/encrypt/) });
      const { request, applicant } = await applyAndVerify(service, sink);
      // The point where it would have posted: its outbox row was tried (and put off, not done).
      await expect
        .poll(
          () =>
            service.deps.database.db
              .selectFrom("outbox")
              .select(["attempts", "completed_at"])
              .where("request_id", "=", request.id)
              .where("kind", "=", "bot.post_request")
              .executeTakeFirst(),
          { timeout: 20_000 },
        )
        .toMatchObject({ attempts: 1, completed_at: null });
      expect((await service.deps.store.getRequest(request.id))?.roomEventId).toBeNull();
      const events = await roomEvents(synapse, room.moderator, room.roomId);
      expect(events.filter((e) => textOf(e).includes(applicant.email))).toEqual([]);
      expect(events.filter((e) => textOf(e).includes(applicant.username))).toEqual([]);
    } finally {
      await service.stop();
    }
  });
});

describeEachDatabase("moderator reminders", (get) => {
  it("lists requests pending longer than bot.reminderAfterHours, at most once per period", async () => {
    const db = get().db;
    const store = createRegistrationStore(db);
    const old = await pendingRequest(db, store, "remind");
    const deps = { db, afterHours: 24 };
    const verifiedAt = (await store.getRequest(old.id))!.verifiedAt!.getTime();
    const notices = () =>
      db.selectFrom("outbox").select("payload").where("kind", "=", "bot.notice").orderBy("id").execute();

    expect(await remindPending(deps, new Date(verifiedAt + 23 * 3_600_000))).toEqual({ reminded: 0 });
    expect(await notices()).toEqual([]);

    const first = new Date(verifiedAt + 25 * 3_600_000);
    // A request verified just now is not listed yet.
    const recent = await pendingRequest(db, store, "fresh");
    await db
      .updateTable("registration_request")
      .set({ verified_at: new Date(first.getTime() - 3_600_000) })
      .where("id", "=", recent.id)
      .execute();
    expect(await remindPending(deps, first)).toEqual({ reminded: 1 });
    const [notice] = await notices();
    expect(notice!.payload).toEqual({
      notice: {
        type: "reminder",
        afterHours: 24,
        requests: [
          { id: old.id, localpart: old.localpart, waitingSince: new Date(verifiedAt).toISOString() },
        ],
      },
    });

    // Within the same period: nothing new. A period later: again, with both.
    expect(await remindPending(deps, new Date(first.getTime() + 3_600_000))).toEqual({ reminded: 0 });
    expect(await notices()).toHaveLength(1);
    expect(await remindPending(deps, new Date(first.getTime() + 25 * 3_600_000))).toEqual({ reminded: 2 });
    expect(await notices()).toHaveLength(2);
  });
});
