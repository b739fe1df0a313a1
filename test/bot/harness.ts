// The bot's event handling as the session wires it (createBotDispatcher, createEventHandler), on a real database,
// without the homeserver: events are fed in directly and what the bot sends is recorded. The fakes are of the
// bot's and the core's own narrow interfaces only (RoomMessenger, InviteHomeserver, a RegistrationStore that can
// fail on demand).
import { Writable } from "node:stream";
import { createEventFailures, type FailedEvent } from "../../src/bot/failures.ts";
import type { Content, RoomMessenger } from "../../src/bot/messenger.ts";
import { plaintext } from "../../src/bot/messenger.ts";
import { roomFactsFromState } from "../../src/bot/room-facts.ts";
import { createBotDispatcher, createEventHandler } from "../../src/bot/session.ts";
import { parseConfig } from "../../src/config/index.ts";
import { createBotStore } from "../../src/db/bot-state.store.ts";
import { createRegistrationStore } from "../../src/db/registration.store.ts";
import { AppError } from "../../src/errors.ts";
import type { InviteHomeserver } from "../../src/moderation/ports.ts";
import { createLogger } from "../../src/logger.ts";
import type { RegistrationStore } from "../../src/registration/ports.ts";
import {
  parseEventId,
  parseRoomId,
  parseUserId,
  type EventId,
  type RoomId,
  type UserId,
} from "../../src/registration/types.ts";
import type { TestDatabase } from "../support/database.ts";
import { memoryTokenApi, testModerationDeps } from "../support/moderation.ts";

export interface Sent {
  roomId: string;
  type: string;
  content: Content;
  txnId: string;
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`test setup: ${what}`);
  return value;
}

export const ROOM: RoomId = must(parseRoomId("!moderators:example.org"), "room");
export const BOT: UserId = must(parseUserId("@bot:example.org"), "bot");
export const MOD: UserId = must(parseUserId("@mod:example.org"), "mod");
export const MEMBER: UserId = must(parseUserId("@member:example.org"), "member");

let counter = 0;
/** A fresh, valid event id. */
export function newEventId(): EventId {
  return must(parseEventId(`$t${Date.now().toString(36)}${(counter++).toString(36)}`), "event id");
}

/** A message event as the client-server API would deliver it. */
export function message(sender: UserId, body: string, extra: Record<string, unknown> = {}) {
  return {
    event_id: newEventId(),
    sender,
    type: "m.room.message",
    origin_server_ts: Date.now(),
    content: { msgtype: "m.text", body, ...extra },
  };
}

/** A RegistrationStore whose next transactions fail as if the database were down. */
export function storeWithOutages(
  store: RegistrationStore,
): RegistrationStore & { failNext(times?: number): void } {
  let failures = 0;
  return {
    ...store,
    transaction(work) {
      if (failures > 0) {
        failures--;
        return Promise.reject(new AppError("unavailable", "database down (test)"));
      }
      return store.transaction(work);
    },
    failNext(times = 1) {
      failures = times;
    },
  };
}

/**
 * The registration-token API of test/support/moderation.ts, refusing a token that exists (as Synapse does, 400)
 * and failing on demand.
 */
export function fakeTokens(): InviteHomeserver & {
  failWith(error: Error | undefined): void;
  made: () => string[];
} {
  const api = memoryTokenApi();
  let failure: Error | undefined;
  const check = () => {
    if (!failure) return;
    const error = failure;
    failure = undefined;
    throw error;
  };
  return {
    made: () => [...api.tokens.keys()],
    failWith(error) {
      failure = error;
    },
    async createRegistrationToken(input) {
      check();
      if (input.token !== undefined && api.tokens.has(input.token))
        throw new AppError("rejected", "token exists", { publicMessage: "Token already exists" });
      return api.createRegistrationToken(input);
    },
    async listRegistrationTokens(filter) {
      check();
      return api.listRegistrationTokens(filter);
    },
    async getRegistrationToken(token) {
      check();
      return api.getRegistrationToken(token);
    },
    async deleteRegistrationToken(token) {
      check();
      return api.deleteRegistrationToken(token);
    },
  };
}

export function createHarness(
  database: TestDatabase,
  options: { store?: RegistrationStore; tokens?: InviteHomeserver; locale?: "en" | "de" } = {},
) {
  const store = options.store ?? createRegistrationStore(database.db);
  const moderation = testModerationDeps(database.db, { store, homeserver: options.tokens ?? null });
  const state = createBotStore(database.db);
  const config = parseConfig({
    homeserver: { serverName: "example.org" },
    bot: { userId: BOT, moderatorRoom: ROOM, ...(options.locale ? { locale: options.locale } : {}) },
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) logs.push(JSON.parse(line));
        callback();
      },
    }),
  });
  const facts = roomFactsFromState(ROOM, 50, [
    {
      event_id: "$pl",
      sender: MOD,
      type: "m.room.power_levels",
      state_key: "",
      content: { users: { [MOD]: 100 }, users_default: 0 },
    },
    ...[BOT, MOD, MEMBER].map((userId, i) => ({
      event_id: `$join${i}`,
      sender: userId,
      type: "m.room.member",
      state_key: userId,
      content: { membership: "join" },
    })),
  ]);
  const sent: Sent[] = [];
  let n = 0;
  const send = (roomId: RoomId, type: string, content: Content, txnId: string) => {
    sent.push({ roomId, type, content, txnId });
    return Promise.resolve(must(parseEventId(`$sent${n++}`), "sent id"));
  };
  const messenger: RoomMessenger = {
    roomId: ROOM,
    send,
    notice: (message, txnId) =>
      send(ROOM, "m.room.message", { msgtype: "m.notice", body: message.body }, txnId),
    reply: (roomId, to, message) =>
      send(roomId, "m.room.message", { msgtype: "m.notice", body: message.body, replyTo: to }, `reply-${to}`),
    direct: (userId, content, txnId) =>
      send(must(parseRoomId(`!dm-${userId.slice(1)}`), "dm"), "m.room.message", content, txnId),
  };
  let moderatorRoomChanges = 0;
  const { dispatcher } = createBotDispatcher({
    config,
    moderation,
    state,
    clock: () => new Date(),
    logger,
    onModeratorRoomChange: () => moderatorRoomChanges++,
    botUserId: BOT,
    facts,
    messenger,
    onEncrypted: () => Promise.resolve(),
  });
  const failures: FailedEvent[] = [];
  const recorder = createEventFailures({ logger });
  const handle = createEventHandler({
    dispatcher,
    crypto: plaintext,
    failures: {
      record(failure, error) {
        failures.push(failure);
        recorder.record(failure, error);
      },
      last: () => recorder.last(),
    },
    clock: () => new Date(),
  });
  /** What the bot answered to an event (the reply's text). */
  const answersTo = (eventId: string) =>
    sent.filter((s) => s.content["replyTo"] === eventId).map((s) => String(s.content["body"]));
  return {
    store,
    state,
    facts,
    sent,
    logs,
    failures,
    handle: (raw: unknown) => handle(ROOM, raw),
    dispatch: (raw: unknown) => dispatcher.dispatch(ROOM, raw),
    answersTo,
    moderatorRoomChanges: () => moderatorRoomChanges,
  };
}

export type BotHarness = ReturnType<typeof createHarness>;
