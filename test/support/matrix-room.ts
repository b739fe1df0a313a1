// A real moderators' room for bot tests: users made with shared-secret registration, driven over plain HTTP.
import { randomBytes } from "node:crypto";
import { matrixRequest, registerUser, type HomeserverRef, type TestUser } from "./homeserver.ts";

export interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, any>;
  origin_server_ts: number;
}

export interface ModeratorRoom {
  roomId: string;
  bot: TestUser;
  moderator: TestUser;
  moderator2: TestUser;
  member: TestUser;
  outsider: TestUser;
}

/** A room where `moderator` and `moderator2` have power 50, `member` 0, and the bot is invited (and joins itself). */
export async function createModeratorRoom(hs: HomeserverRef & { url: string }): Promise<ModeratorRoom> {
  const suffix = randomBytes(3).toString("hex");
  const [bot, moderator, moderator2, member, outsider] = await Promise.all([
    registerUser(hs, { localpart: `bot-${suffix}` }),
    registerUser(hs, { localpart: `mod-${suffix}` }),
    registerUser(hs, { localpart: `mod2-${suffix}` }),
    registerUser(hs, { localpart: `member-${suffix}` }),
    registerUser(hs, { localpart: `outsider-${suffix}` }),
  ]);
  const created = await matrixRequest(hs, "POST", "/_matrix/client/v3/createRoom", {
    accessToken: moderator.accessToken,
    body: {
      preset: "private_chat",
      name: `Moderators ${suffix}`,
      invite: [bot.userId, moderator2.userId, member.userId],
      power_level_content_override: {
        users: { [moderator.userId]: 100, [moderator2.userId]: 50 },
        users_default: 0,
      },
    },
  });
  if (created.status !== 200) throw new Error(`createRoom failed: ${JSON.stringify(created.body)}`);
  const roomId = String(created.body["room_id"]);
  for (const user of [moderator2, member]) {
    const joined = await matrixRequest(hs, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
      accessToken: user.accessToken,
      body: {},
    });
    if (joined.status !== 200) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
  }
  return { roomId, bot, moderator, moderator2, member, outsider };
}

let txn = 0;
const nextTxn = () => `t${Date.now()}-${txn++}`;

export async function say(
  hs: { url: string },
  user: TestUser,
  roomId: string,
  body: string,
  replyTo?: string,
): Promise<string> {
  const content: Record<string, unknown> = { msgtype: "m.text", body };
  if (replyTo) content["m.relates_to"] = { "m.in_reply_to": { event_id: replyTo } };
  const sent = await matrixRequest(
    hs,
    "PUT",
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${nextTxn()}`,
    {
      accessToken: user.accessToken,
      body: content,
    },
  );
  if (sent.status !== 200) throw new Error(`send failed: ${JSON.stringify(sent.body)}`);
  return String(sent.body["event_id"]);
}

export async function react(
  hs: { url: string },
  user: TestUser,
  roomId: string,
  eventId: string,
  key: string,
): Promise<string> {
  const sent = await matrixRequest(
    hs,
    "PUT",
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.reaction/${nextTxn()}`,
    {
      accessToken: user.accessToken,
      body: { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } },
    },
  );
  if (sent.status !== 200) throw new Error(`react failed: ${JSON.stringify(sent.body)}`);
  return String(sent.body["event_id"]);
}

export async function redact(
  hs: { url: string },
  user: TestUser,
  roomId: string,
  eventId: string,
): Promise<void> {
  const sent = await matrixRequest(
    hs,
    "PUT",
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/${nextTxn()}`,
    {
      accessToken: user.accessToken,
      body: { reason: "withdrawn" },
    },
  );
  if (sent.status !== 200) throw new Error(`redact failed: ${JSON.stringify(sent.body)}`);
}

/** The room's latest events, oldest first. */
export async function roomEvents(
  hs: { url: string },
  user: TestUser,
  roomId: string,
  limit = 100,
): Promise<RoomEvent[]> {
  const page = await matrixRequest<{ chunk: RoomEvent[] }>(
    hs,
    "GET",
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit}`,
    {
      accessToken: user.accessToken,
    },
  );
  return [...page.body.chunk].reverse();
}

/** Waits (with a deadline) for an event matching the predicate. */
export async function waitForEvent(
  hs: { url: string },
  user: TestUser,
  roomId: string,
  predicate: (event: RoomEvent) => boolean,
  timeoutMs = 20_000,
): Promise<RoomEvent> {
  const deadline = Date.now() + timeoutMs;
  let seen: RoomEvent[] = [];
  while (Date.now() < deadline) {
    seen = await roomEvents(hs, user, roomId);
    const found = seen.find(predicate);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(
    `no matching event within ${timeoutMs} ms; last events: ${seen
      .slice(-8)
      .map((e) => `${e.type} ${e.sender}: ${JSON.stringify(e.content).slice(0, 160)}`)
      .join(" | ")}`,
  );
}

/** Text of an m.room.message (notices included). */
export function textOf(event: RoomEvent): string {
  return typeof event.content["body"] === "string" ? event.content["body"] : "";
}
