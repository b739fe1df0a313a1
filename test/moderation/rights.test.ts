// Moderator rights: the power-level rules, the cache and its invalidation, and both room readers against the real
// Synapse (a moderator is demoted and kicked; the answer follows).
import { uid } from "../support/moderation.ts";
import { expect, inject, it } from "vitest";
import { createAdminRoomReader, createClientRoomReader } from "../../src/homeserver/moderator-room.ts";
import {
  createModeratorRights,
  powerLevelOf,
  type ModeratorRoomFacts,
  type ModeratorRoomReader,
} from "../../src/moderation/rights.ts";
import { parseUserId } from "../../src/registration/types.ts";
import { matrixRequest } from "../support/homeserver.ts";
import { createModeratorRoom } from "../support/matrix-room.ts";

const facts = (over: Partial<ModeratorRoomFacts> = {}): ModeratorRoomFacts => ({
  roomVersion: "10",
  creator: "@creator:x",
  additionalCreators: [],
  powerLevels: { users: { "@mod:x": 50, "@str:x": "75", "@bad:x": "lots" }, users_default: 5 },
  membership: "join",
  ...over,
});

it("computes power levels by the spec's rules", () => {
  expect(powerLevelOf(facts(), "@mod:x")).toBe(50);
  expect(powerLevelOf(facts(), "@str:x")).toBe(75);
  expect(powerLevelOf(facts(), "@bad:x")).toBe(5);
  expect(powerLevelOf(facts(), "@nobody:x")).toBe(5);
  expect(powerLevelOf(facts({ powerLevels: {} }), "@nobody:x")).toBe(0);
  // No power levels event: the creator has 100.
  expect(powerLevelOf(facts({ powerLevels: null }), "@creator:x")).toBe(100);
  expect(powerLevelOf(facts({ powerLevels: null }), "@mod:x")).toBe(0);
  // Room v12: creators have infinite power whatever the power levels say; before v12 they do not.
  const v12 = facts({
    roomVersion: "12",
    additionalCreators: ["@co:x"],
    powerLevels: { users: { "@co:x": 0 } },
  });
  expect(powerLevelOf(v12, "@creator:x")).toBe(Infinity);
  expect(powerLevelOf(v12, "@co:x")).toBe(Infinity);
  expect(powerLevelOf(facts({ additionalCreators: ["@co:x"] }), "@co:x")).toBe(5);
  // A user ID like "__proto__" must not read the prototype.
  expect(powerLevelOf(facts(), "constructor")).toBe(5);
});

function countingReader(current: { facts: ModeratorRoomFacts; fail?: boolean }) {
  const reader: ModeratorRoomReader & { reads: number } = {
    reads: 0,
    read() {
      reader.reads++;
      if (current.fail) return Promise.reject(new Error("homeserver unreachable"));
      return Promise.resolve(current.facts);
    },
  };
  return reader;
}

it("caches answers for the cache period, forgets them on invalidate(), and never caches a failure", async () => {
  let now = 0;
  const current: { facts: ModeratorRoomFacts; fail?: boolean } = { facts: facts() };
  const reader = countingReader(current);
  const rights = createModeratorRights({
    reader,
    moderatorPowerLevel: 50,
    cacheMs: 30_000,
    clock: () => new Date(now),
  });
  const mod = uid("@mod:x");
  expect(await rights.check(mod)).toEqual({ ok: true, moderator: true, powerLevel: 50, membership: "join" });
  current.facts = facts({ membership: "leave" });
  now = 29_999;
  expect(await rights.check(mod)).toMatchObject({ moderator: true });
  expect(reader.reads).toBe(1);
  now = 30_000;
  expect(await rights.check(mod)).toMatchObject({ moderator: false, membership: "leave" });
  expect(reader.reads).toBe(2);

  current.facts = facts();
  rights.invalidate();
  expect(await rights.check(mod)).toMatchObject({ moderator: true });
  current.fail = true;
  rights.invalidate();
  expect(await rights.check(mod)).toEqual({
    ok: false,
    reason: "unavailable",
    detail: "homeserver unreachable",
  });
  current.fail = false;
  expect(await rights.check(mod)).toMatchObject({ ok: true, moderator: true });
  // Joined but below the level, and above the level but not joined, are both no moderator.
  current.facts = facts({ powerLevels: { users: { "@mod:x": 49 } } });
  rights.invalidate();
  expect(await rights.check(mod)).toMatchObject({ moderator: false, powerLevel: 49 });
  current.facts = facts({ membership: "invite" });
  rights.invalidate();
  expect(await rights.check(mod)).toMatchObject({ moderator: false, powerLevel: 50 });
});

it("a read that started before invalidate() does not fill the cache with old facts", async () => {
  let release: (value: ModeratorRoomFacts) => void = () => {};
  let reads = 0;
  const reader: ModeratorRoomReader = {
    read() {
      reads++;
      return reads === 1
        ? new Promise((resolve) => (release = resolve))
        : Promise.resolve(facts({ membership: "leave" }));
    },
  };
  const rights = createModeratorRights({
    reader,
    moderatorPowerLevel: 50,
    cacheMs: 60_000,
    clock: () => new Date(0),
  });
  const stale = rights.check(uid("@mod:x"));
  rights.invalidate();
  release(facts());
  expect(await stale).toMatchObject({ moderator: true });
  expect(await rights.check(uid("@mod:x"))).toMatchObject({ moderator: false });
  expect(reads).toBe(2);
});

it("without any way to read the room every check says why", async () => {
  const rights = createModeratorRights({
    reader: null,
    missingReader: "neither token",
    moderatorPowerLevel: 50,
    cacheMs: 30_000,
    clock: () => new Date(),
  });
  expect(await rights.check(uid("@mod:x"))).toEqual({
    ok: false,
    reason: "unavailable",
    detail: "neither token",
  });
});

it("both readers see the real room: levels, membership, and a demotion and kick", async () => {
  const synapse = inject("synapse");
  const room = await createModeratorRoom(synapse);
  const join = await matrixRequest(
    synapse,
    "POST",
    `/_matrix/client/v3/join/${encodeURIComponent(room.roomId)}`,
    {
      accessToken: room.bot.accessToken,
      body: {},
    },
  );
  expect(join.status).toBe(200);
  const options = { url: synapse.url, room: room.roomId, timeoutMs: 5_000 };
  const readers = [
    createClientRoomReader({ ...options, accessToken: room.bot.accessToken }),
    createAdminRoomReader({ ...options, adminToken: synapse.adminToken }),
  ];
  const id = (user: { userId: string }) => parseUserId(user.userId)!;
  for (const reader of readers) {
    const rights = createModeratorRights({
      reader,
      moderatorPowerLevel: 50,
      cacheMs: 30_000,
      clock: () => new Date(),
    });
    expect(await rights.check(id(room.moderator))).toMatchObject({ ok: true, moderator: true });
    expect(await rights.check(id(room.moderator2))).toMatchObject({
      ok: true,
      moderator: true,
      powerLevel: 50,
    });
    expect(await rights.check(id(room.member))).toMatchObject({ ok: true, moderator: false, powerLevel: 0 });
    expect(await rights.check(id(room.outsider))).toMatchObject({
      ok: true,
      moderator: false,
      membership: null,
    });
  }

  const levels = await matrixRequest(
    synapse,
    "GET",
    `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/state/m.room.power_levels/`,
    {
      accessToken: room.moderator.accessToken,
    },
  );
  const users = { ...(levels.body["users"] as Record<string, number>) };
  delete users[room.moderator2.userId];
  const put = await matrixRequest(
    synapse,
    "PUT",
    `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/state/m.room.power_levels/`,
    {
      accessToken: room.moderator.accessToken,
      body: { ...levels.body, users },
    },
  );
  expect(put.status).toBe(200);
  const kick = await matrixRequest(
    synapse,
    "POST",
    `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/kick`,
    {
      accessToken: room.moderator.accessToken,
      body: { user_id: room.moderator2.userId, reason: "test" },
    },
  );
  expect(kick.status).toBe(200);
  for (const reader of readers) {
    const facts = await reader.read(id(room.moderator2));
    expect(facts.membership).toBe("leave");
    expect(powerLevelOf(facts, room.moderator2.userId)).toBe(0);
  }

  // A reader whose token cannot see the room fails (the caller then refuses to act).
  const outsiderReader = createClientRoomReader({ ...options, accessToken: room.outsider.accessToken });
  await expect(outsiderReader.read(id(room.moderator))).rejects.toThrow();
  const nowhere = createClientRoomReader({
    ...options,
    url: "http://127.0.0.1:9",
    accessToken: room.bot.accessToken,
  });
  await expect(nowhere.read(id(room.moderator))).rejects.toThrow(/unreachable/);
});
