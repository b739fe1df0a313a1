// The bot's event handling as the session wires it (createBotDispatcher, createEventHandler), on a real database,
// without the homeserver: events are fed in directly and what the bot sends is recorded. The fakes are of the
// bot's own narrow interfaces only (RoomMessenger, TokenService, a RegistrationStore that can fail on demand).
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
import type { TokenService, TokenView } from "../../src/homeserver/invite-tokens.ts";
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

/** A token service that remembers what it made and can be told to fail. */
export function fakeTokens(): TokenService & { failWith(error: Error | undefined): void; made: TokenView[] } {
  let failure: Error | undefined;
  const made: TokenView[] = [];
  const check = () => {
    if (failure) {
      const error = failure;
      failure = undefined;
      throw error;
    }
  };
  const view = (token: string, usesAllowed: number | null, expiryTime: number | null): TokenView => ({
    token,
    usesAllowed,
    pending: 0,
    completed: 0,
    expiryTime,
    inviteUrl: `https://join.example.org/invite/${token}`,
    createdBy: MOD,
    note: null,
    purpose: "invite",
    usedBy: [],
    valid: true,
  });
  return {
    made,
    failWith(error) {
      failure = error;
    },
    create(input) {
      check();
      const token = input.token ?? "RANDOM";
      if (made.some((t) => t.token === token))
        return Promise.reject(
          new AppError("rejected", "token exists", { publicMessage: "Token already exists" }),
        );
      const created = view(
        token,
        input.usesAllowed,
        input.expiresInMs === null ? null : Date.now() + input.expiresInMs,
      );
      made.push(created);
      return Promise.resolve(created);
    },
    list() {
      check();
      return Promise.resolve([...made]);
    },
    show(token) {
      check();
      return Promise.resolve(made.find((t) => t.token === token) ?? null);
    },
    delete(tokens) {
      check();
      const deleted = tokens.filter((t) => made.some((m) => m.token === t));
      for (const t of deleted)
        made.splice(
          made.findIndex((m) => m.token === t),
          1,
        );
      return Promise.resolve({ deleted, missing: tokens.filter((t) => !deleted.includes(t)) });
    },
  };
}

export function createHarness(
  database: TestDatabase,
  options: { store?: RegistrationStore; tokens?: TokenService; locale?: "en" | "de" } = {},
) {
  const store = options.store ?? createRegistrationStore(database.db);
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
    database,
    store,
    state,
    clock: () => new Date(),
    logger,
    tokens: options.tokens,
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
