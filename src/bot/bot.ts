// The moderator bot: logs in, joins the moderators' room, follows it with its own /sync loop whose position is
// stored (so events that happened while it was down are processed after a restart, exactly once), turns reactions
// and commands into domain transitions, and carries out the bot's outbox rows (posts, edits, notices).
import type { Config } from "../config/index.ts";
import type { DatabaseHandle } from "../db/database.ts";
import { claimHandledEvent, getBotState, isAllowed, setBotState } from "../db/bot.repository.ts";
import { AppError, isAppError } from "../errors.ts";
import type { Health } from "../health.ts";
import { createOutboxWorker, wakeOnNotify, type OutboxHandler, type OutboxWorker } from "../outbox/worker.ts";
import type { Logger } from "../logger.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import {
  attachRoomMessage,
  castVote,
  withdrawVote,
  type TransitionSettings,
} from "../registration/transitions.ts";
import type { RegistrationRequest, UserId } from "../registration/types.ts";
import { commandSpecs, helpCommand, parseCommand, type CommandSpec } from "./commands.ts";
import { runAsLeader } from "./leader.ts";
import {
  connectMatrix,
  routeSdkLogger,
  type JoinedRoomSync,
  type MatrixApi,
  type RawEvent,
} from "./matrix.ts";
import { botText } from "./messages.ts";
import {
  editContent,
  noticeContent,
  plain,
  renderRequest,
  type RenderedMessage,
  type RenderOptions,
} from "./render.ts";

export interface BotDeps {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  store: RegistrationStore;
  health: Health;
  clock: () => Date;
  instanceId: string;
  /** Extra commands from other features (tokens, bans, portal login). */
  extraCommands?: CommandSpec[];
  /** Subscribes to "new outbox rows were committed in this process"; returns the unsubscribe function. */
  onOutboxRows?: (listener: () => void) => () => void;
}

export interface BotRole {
  stop(): Promise<void>;
  /** The running session, if this instance is the leader (tests). */
  session(): BotSession | undefined;
}

export const BOT_KINDS = [
  "bot.post_request",
  "bot.update_request",
  "bot.notice",
  "bot.direct_message",
] as const;

const APPROVE_KEYS = new Set(["✅", "👍", "✔", "☑", "🆗"]);
const DECLINE_KEYS = new Set(["❌", "👎", "✖", "❎", "🚫"]);

/** Reaction keys come with variation selectors and skin tones; compare the bare emoji. */
export function voteOfReaction(key: string): "approve" | "decline" | null {
  // Variation selectors and skin-tone modifiers, removed one alternative at a time (not a character class, where
  // they would combine with their neighbours).
  const bare = key.replace(/\uFE0E|\uFE0F|\u{1F3FB}|\u{1F3FC}|\u{1F3FD}|\u{1F3FE}|\u{1F3FF}/gu, "").trim();
  if (APPROVE_KEYS.has(bare)) return "approve";
  if (DECLINE_KEYS.has(bare)) return "decline";
  return null;
}

interface PowerLevels {
  users?: Record<string, number>;
  users_default?: number;
}

export interface BotSession {
  roomId: string;
  api: MatrixApi;
  /** Resolves after the sync loop has processed everything the server had at the time of the call (tests). */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

function transitionSettings(config: Config): TransitionSettings {
  return {
    adminEmail: config.mail.adminEmail,
    approvalsRequired: config.bot.approvalsRequired,
    declinesRequired: config.bot.declinesRequired,
    mode: config.homeserver.mode,
    credentials: config.registration.credentials,
    invitesSkipReview: config.registration.invitesSkipReview,
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Starts a bot session: returns once the bot is in its room and syncing. Retries until then (or until stopped). */
async function startSession(deps: BotDeps, signal: AbortSignal): Promise<BotSession | undefined> {
  const { config, logger, database, store, health } = deps;
  const db = database.db;
  const log = logger.child({ component: "bot" });
  const bot = config.bot;
  const settings = transitionSettings(config);
  const render: RenderOptions = {
    serverName: config.homeserver.serverName,
    prefix: bot.commandPrefix,
    approvalsRequired: bot.approvalsRequired,
    declinesRequired: bot.declinesRequired,
  };
  routeSdkLogger(logger);

  // 1. Log in and join the room, retrying with backoff and saying why in the log and /healthz.
  let api: MatrixApi | undefined;
  let roomId: string | undefined;
  let delay = 1_000;
  while (!signal.aborted && (!api || !roomId)) {
    try {
      if (!api) {
        const storedDevice = await getBotState<string>(db, "device_id");
        api = await connectMatrix({
          baseUrl: config.homeserver.url,
          userId: bot.userId,
          accessToken: bot.accessToken,
          password: bot.password,
          deviceId: bot.deviceId ?? storedDevice,
          timeoutMs: config.homeserver.requestTimeoutMs,
        });
        const me = await api.whoami();
        if (me.userId !== bot.userId)
          throw new AppError(
            "config",
            `bot.accessToken belongs to ${me.userId}, not bot.userId ${bot.userId}`,
          );
        if (me.deviceId) await setBotState(db, "device_id", me.deviceId, deps.clock());
      }
      roomId = await joinModeratorRoom(api, bot.moderatorRoom);
    } catch (error) {
      const detail = describeStartError(error, bot.moderatorRoom);
      health.report("bot", "down", detail);
      log.warn({ err: error }, `bot cannot start: ${detail}; retrying in ${Math.round(delay / 1000)} s`);
      if (isAppError(error) && error.code === "forbidden" && !roomId && api) {
        // Logged in but not allowed into the room: keep the login.
      } else if (!roomId) {
        api = undefined;
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 60_000);
    }
  }
  if (!api || !roomId || signal.aborted) return undefined;
  const matrix = api;
  const room = roomId;
  await setBotState(db, "room_id", room, deps.clock());

  // 2. Room facts: encryption, creators (room v12), power levels — kept current from the sync stream.
  let encrypted = (await matrix.state<object>(room, "m.room.encryption")) !== null;
  let powerLevels = (await matrix.state<PowerLevels>(room, "m.room.power_levels")) ?? {};
  const create = await matrix.state<{ room_version?: string; additional_creators?: string[] }>(
    room,
    "m.room.create",
  );
  const createEvent = await getCreateSender(matrix, room);
  const creators = new Set<string>(
    Number(create?.room_version ?? "1") >= 12 || create?.room_version === "org.matrix.hydra.11"
      ? [createEvent, ...(create?.additional_creators ?? [])].filter(Boolean)
      : [],
  );
  const powerOf = (userId: string): number =>
    creators.has(userId) ? Infinity : (powerLevels.users?.[userId] ?? powerLevels.users_default ?? 0);
  const isModerator = (userId: string) => powerOf(userId) >= bot.moderatorPowerLevel;
  const reportHealth = () =>
    encrypted
      ? health.report(
          "bot",
          "degraded",
          `room ${room} is encrypted: end-to-end encryption is not supported yet, request details are not posted`,
        )
      : health.report("bot", "ok", `in ${room} as ${bot.userId}`);
  reportHealth();

  const allCommands = (): CommandSpec[] => [
    ...commandSpecs,
    ...(deps.extraCommands ?? []),
    helpCommand(allCommands),
  ];

  // 3. Sending: every send has a transaction id derived from what it is for, so a retry never posts twice.
  const say = (message: RenderedMessage, txnId: string, replyTo?: string) =>
    matrix.send(
      room,
      "m.room.message",
      {
        ...noticeContent(message),
        ...(replyTo ? { "m.relates_to": { "m.in_reply_to": { event_id: replyTo } } } : {}),
      },
      txnId,
    );

  /** A direct room per user, made once and remembered. */
  async function sendDirect(userId: string, text: string, txnId: string) {
    let dm = await getBotState<string>(db, `dm:${userId}`);
    if (!dm) {
      dm = await matrix.createDirectRoom(userId);
      await setBotState(db, `dm:${userId}`, dm, deps.clock());
    }
    await matrix.send(dm, "m.room.message", { msgtype: "m.text", body: text }, txnId);
  }

  // 4. Events → domain.
  const requestOfEvent = (eventId: string | undefined) =>
    eventId ? store.findRequestByRoomEvent(eventId) : Promise.resolve(null);

  async function handleReaction(event: RawEvent) {
    const relation = event.content["m.relates_to"] as
      { rel_type?: string; event_id?: string; key?: string } | undefined;
    if (relation?.rel_type !== "m.annotation" || typeof relation.key !== "string") return;
    const decision = voteOfReaction(relation.key);
    if (!decision) return;
    const request = await requestOfEvent(relation.event_id);
    if (!request) return;
    if (!isModerator(event.sender)) {
      if (await claimHandledEvent(db, event.event_id, deps.clock())) {
        await say(
          plain(botText.notModerator(event.sender, bot.moderatorPowerLevel)),
          `notmod-${event.event_id}`,
        );
      }
      return;
    }
    const result = await castVote(
      store,
      settings,
      {
        id: request.id,
        voter: event.sender as UserId,
        decision,
        source: "reaction",
        eventId: event.event_id,
        handledEventId: event.event_id,
      },
      deps.clock(),
    );
    if (result.ok)
      log.info(
        { requestId: request.id, voter: event.sender, decision, outcome: result.outcome },
        "vote by reaction",
      );
  }

  async function handleRedaction(event: RawEvent) {
    const target = (event.content["redacts"] as string | undefined) ?? event.redacts;
    if (!target) return;
    const vote = await store.findVoteByEvent(target);
    if (!vote) return;
    const result = await withdrawVote(
      store,
      { id: vote.requestId, voter: vote.voter as UserId, eventId: target, handledEventId: event.event_id },
      deps.clock(),
    );
    if (result.ok && result.withdrawn)
      log.info({ requestId: vote.requestId, voter: vote.voter }, "vote withdrawn (reaction redacted)");
  }

  async function handleMessage(event: RawEvent, inModeratorRoom: boolean, eventRoom: string) {
    const content = event.content;
    if (typeof content["body"] !== "string" || content["m.new_content"] !== undefined) return;
    const command = parseCommand(content["body"], bot.commandPrefix);
    if (!command) return;
    if (!inModeratorRoom) {
      if (await claimHandledEvent(db, event.event_id, deps.clock())) {
        await matrix.send(
          eventRoom,
          "m.room.message",
          { msgtype: "m.notice", body: botText.onlyInModeratorRoom },
          `elsewhere-${event.event_id}`,
        );
      }
      return;
    }
    const spec = allCommands().find((c) => c.name === command.name);
    const relation = content["m.relates_to"] as { "m.in_reply_to"?: { event_id?: string } } | undefined;
    const repliedTo = await requestOfEvent(relation?.["m.in_reply_to"]?.event_id);
    const ctx = {
      sender: event.sender as UserId,
      eventId: event.event_id,
      repliedTo,
      isModerator: isModerator(event.sender),
      sendDirect: (userId: string, text: string) => sendDirect(userId, text, `direct-${event.event_id}`),
    };
    const permitted =
      spec?.permission === "anyone" ||
      ctx.isModerator ||
      (spec?.permission === "tokens" && (await isAllowed(db, event.sender, "tokens")));
    let reply: RenderedMessage | null;
    if (!spec) {
      if (!(await claimHandledEvent(db, event.event_id, deps.clock()))) return;
      reply = plain(botText.unknownCommand(bot.commandPrefix, command.name));
    } else if (!permitted) {
      if (!(await claimHandledEvent(db, event.event_id, deps.clock()))) return;
      reply = plain(botText.notModerator(event.sender, bot.moderatorPowerLevel));
    } else {
      // Commands that change state claim the event inside their transition; the others claim it here.
      if (!spec.claimsEvent && !(await claimHandledEvent(db, event.event_id, deps.clock()))) return;
      reply = await spec.run(command, ctx, {
        store,
        settings,
        render,
        moderatorPowerLevel: bot.moderatorPowerLevel,
        clock: deps.clock,
      });
    }
    log.debug(
      { eventId: event.event_id, command: command.name, sender: event.sender, replied: reply !== null },
      "command handled",
    );
    if (reply) await say(reply, `reply-${event.event_id}`, event.event_id);
  }

  async function handleEvent(event: RawEvent, eventRoom: string) {
    if (event.sender === bot.userId) return;
    const inModeratorRoom = eventRoom === room;
    if (inModeratorRoom) {
      if (event.type === "m.room.power_levels" && event.state_key === "") powerLevels = event.content;
      if (event.type === "m.room.encryption" && event.state_key === "") {
        encrypted = true;
        reportHealth();
        await say(plain(botText.encryptedRoom), `encrypted-${event.event_id}`).catch(() => undefined);
      }
      if (event.type === "m.reaction") return handleReaction(event);
      if (event.type === "m.room.redaction") return handleRedaction(event);
    }
    if (event.type === "m.room.message") return handleMessage(event, inModeratorRoom, eventRoom);
  }

  // 5. The sync loop. The position is stored after each batch is handled; a crash replays the batch, and the
  // per-event claims make the replay change nothing twice.
  const filter = {
    presence: { not_types: ["*"] },
    account_data: { not_types: ["*"] },
    room: {
      account_data: { not_types: ["*"] },
      ephemeral: { not_types: ["*"] },
      state: {
        lazy_load_members: true,
        types: ["m.room.power_levels", "m.room.encryption", "m.room.create"],
      },
      timeline: {
        limit: 100,
        types: [
          "m.room.message",
          "m.reaction",
          "m.room.redaction",
          "m.room.power_levels",
          "m.room.encryption",
        ],
      },
    },
  };
  let since = await getBotState<string>(db, "sync_token");
  if (!since) {
    // First start: begin from now; history before the bot existed is not acted upon.
    const initial = await matrix.sync({
      since: undefined,
      timeoutMs: 0,
      filter: { ...filter, room: { ...filter.room, timeline: { limit: 0 } } },
    });
    since = initial.next_batch;
    await setBotState(db, "sync_token", since, deps.clock());
  }

  const loopAbort = new AbortController();
  signal.addEventListener("abort", () => loopAbort.abort());
  let batches = 0;
  const batchWaiters: { target: number; resolve: () => void }[] = [];
  const notifyBatch = () => {
    batches++;
    for (const waiter of [...batchWaiters]) {
      if (batches >= waiter.target) {
        batchWaiters.splice(batchWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  async function handleRoom(eventRoom: string, sync: JoinedRoomSync, from: string) {
    let events = sync.timeline?.events ?? [];
    if (sync.timeline?.limited && sync.timeline.prev_batch) {
      // A gap: fetch what the sync left out, back to where we were.
      const missed = await matrix.backfill(eventRoom, sync.timeline.prev_batch, from, 5_000);
      const seen = new Set(events.map((e) => e.event_id));
      events = [...missed.filter((e) => !seen.has(e.event_id)), ...events];
    }
    for (const event of sync.state?.events ?? []) {
      if (eventRoom === room && event.type === "m.room.power_levels") powerLevels = event.content;
    }
    for (const event of events) {
      try {
        await handleEvent(event, eventRoom);
      } catch (error) {
        // A broken dependency: stop this batch without storing the position, so it is handled again.
        if (isAppError(error) && error.code === "unavailable") throw error;
        if (!isAppError(error) || error.code === "internal") throw error;
        log.warn({ err: error, eventId: event.event_id }, "event could not be handled");
      }
    }
  }

  const syncLoop = (async () => {
    let failures = 0;
    while (!loopAbort.signal.aborted) {
      try {
        const response = await matrix.sync({ since, timeoutMs: 30_000, filter, signal: loopAbort.signal });
        for (const invited of Object.keys(response.rooms?.invite ?? {})) {
          // Invited again to the moderators' room (e.g. after a kick): join. Other invitations are ignored.
          if (invited === room) await matrix.join(room).catch(() => undefined);
        }
        for (const [joined, sync] of Object.entries(response.rooms?.join ?? {}))
          await handleRoom(joined, sync, since);
        since = response.next_batch;
        await setBotState(db, "sync_token", since, deps.clock());
        if (failures > 0) reportHealth();
        failures = 0;
        notifyBatch();
      } catch (error) {
        if (loopAbort.signal.aborted) break;
        failures++;
        const wait = Math.min(1_000 * 2 ** Math.min(failures, 5), 30_000);
        health.report(
          "bot",
          "degraded",
          `sync failing, retrying: ${error instanceof Error ? error.message : String(error)}`,
        );
        log.warn({ err: error }, `bot sync failed; retrying in ${wait / 1000} s`);
        await sleep(wait, loopAbort.signal);
      }
    }
  })();

  // 6. The bot's outbox rows.
  const postRequest: OutboxHandler<"bot.post_request"> = async (row) => {
    if (row.requestId === null) return { status: "dead", error: "post_request row without a request" };
    const request = await store.getRequest(row.requestId);
    if (!request || request.roomEventId) return { status: "done" };
    if (encrypted)
      return {
        status: "retry",
        error: "the moderators' room is encrypted; not posting request details",
        retryAfterMs: 10 * 60_000,
      };
    const message = renderRequest(request, await store.listVotes(request.id), render);
    const eventId = await matrix.send(room, "m.room.message", noticeContent(message), `post-${row.id}`);
    await attachRoomMessage(store, { id: request.id, roomId: room, eventId }, deps.clock());
    for (const [key, suffix] of [
      ["✅", "a"],
      ["❌", "d"],
    ] as const) {
      await matrix.send(
        room,
        "m.reaction",
        { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } },
        `post-${row.id}-${suffix}`,
      );
    }
    return { status: "done" };
  };
  const updateRequest: OutboxHandler<"bot.update_request"> = async (row) => {
    if (row.requestId === null) return { status: "dead", error: "update_request row without a request" };
    const request = await store.getRequest(row.requestId);
    // Not posted yet: the post will show the current state.
    if (!request?.roomEventId || request.roomId !== room) return { status: "done" };
    const message = renderRequest(request, await store.listVotes(request.id), render);
    await matrix.send(room, "m.room.message", editContent(request.roomEventId, message), `edit-${row.id}`);
    return { status: "done" };
  };
  const notice: OutboxHandler<"bot.notice"> = async (row) => {
    const { text, html } = row.effect;
    await say(html ? { body: text, html } : plain(text), `notice-${row.id}`);
    return { status: "done" };
  };
  const directMessage: OutboxHandler<"bot.direct_message"> = async (row) => {
    const { userId, text } = row.effect;
    let dm = await getBotState<string>(db, `dm:${userId}`);
    if (!dm) {
      dm = await matrix.createDirectRoom(userId);
      await setBotState(db, `dm:${userId}`, dm, deps.clock());
    }
    await matrix.send(dm, "m.room.message", { msgtype: "m.text", body: text }, `dm-${row.id}`);
    return { status: "done" };
  };
  const worker: OutboxWorker = createOutboxWorker({
    db,
    handlers: {
      "bot.post_request": postRequest,
      "bot.update_request": updateRequest,
      "bot.notice": notice,
      "bot.direct_message": directMessage,
    },
    logger,
    owner: `${deps.instanceId}:bot`,
    clock: deps.clock,
    // Rows of one request stay in order (post before edits); several requests go out side by side, so a backlog
    // of edits does not hold up a new request's post for long.
    concurrency: 4,
    leaseMs: config.jobs.leaseSeconds * 1000,
    backoff: { baseMs: config.jobs.retryBaseSeconds * 1000, maxMs: config.jobs.retryMaxSeconds * 1000 },
  });
  const unlisten = await wakeOnNotify(database, worker);
  const unsubscribe = deps.onOutboxRows?.(() => worker.wake());
  const outboxTimer = setInterval(() => worker.wake(), 15_000);
  outboxTimer.unref();
  worker.wake();

  return {
    roomId: room,
    api: matrix,
    caughtUp() {
      // Two complete batches after the call: the first may have started before the caller's events.
      return new Promise((resolve) => batchWaiters.push({ target: batches + 2, resolve }));
    },
    async stop() {
      loopAbort.abort();
      clearInterval(outboxTimer);
      unsubscribe?.();
      await unlisten();
      await worker.stop();
      await syncLoop;
      matrix.stop();
    },
  };
}

async function joinModeratorRoom(api: MatrixApi, moderatorRoom: string): Promise<string> {
  const joined = await api.joinedRooms();
  const roomId = await api.resolveRoom(moderatorRoom).catch((error: unknown) => {
    throw isAppError(error) && error.code === "not_found"
      ? new AppError("not_found", `room ${moderatorRoom} does not exist`)
      : error;
  });
  if (joined.includes(roomId)) return roomId;
  // Joining also accepts a pending invitation.
  return api.join(roomId);
}

/** Who created the room (room v12: creators have unlimited power and are not listed in power levels). */
async function getCreateSender(api: MatrixApi, roomId: string): Promise<string> {
  const create = (await api.roomState(roomId)).find((e) => e.type === "m.room.create");
  return create?.sender ?? "";
}

function describeStartError(error: unknown, room: string): string {
  if (isAppError(error)) {
    if (error.code === "config") return error.message;
    if (error.code === "unavailable") return `homeserver unreachable (${error.message})`;
    if (error.code === "forbidden")
      return error.message.startsWith("bot login")
        ? "login refused: check bot.accessToken / bot.password"
        : `not allowed into ${room}: invite the bot`;
    if (error.code === "not_found") return `room ${room} does not exist`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The bot role: leader election around a session. */
export function startBotRole(deps: BotDeps): BotRole {
  const log = deps.logger.child({ component: "bot" });
  if (!deps.config.bot.enabled) {
    deps.health.report("bot", "disabled", "bot.enabled is false");
    return { stop: () => Promise.resolve(), session: () => undefined };
  }
  if (!deps.config.bot.accessToken && !deps.config.bot.password) {
    deps.health.report("bot", "disabled", "not configured: set bot.accessToken or bot.password");
    return { stop: () => Promise.resolve(), session: () => undefined };
  }
  let current: BotSession | undefined;
  deps.health.report("bot", "degraded", "starting");
  const leadership = runAsLeader(
    deps.database,
    log,
    () => {
      const abort = new AbortController();
      const starting = startSession(deps, abort.signal).then((session) => {
        current = session;
        return session;
      });
      // Starting may wait for the homeserver for a long time; leadership is already ours meanwhile.
      return Promise.resolve(async () => {
        abort.abort();
        const session = await starting.catch(() => undefined);
        current = undefined;
        await session?.stop();
      });
    },
    {
      onStandby: () => deps.health.report("bot", "ok", "standby: another instance runs the bot"),
      onError: (error) => log.warn({ err: error }, "bot leadership check failed; retrying"),
    },
  );
  return {
    stop: () => leadership.stop(),
    session: () => current,
  };
}

export type { RegistrationRequest };
