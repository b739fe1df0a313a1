// One bot session, in its sections: (1) log in and join the moderators' room, retrying until both work; (2) the
// room facts; (3) the dispatcher with its commands; (4) the sync loop that feeds it; (5) the outbox worker for the
// bot's rows. Stopping takes them down in reverse.
import { AppError, isAppError } from "../errors.ts";
import { createOutboxWorker, wakeOnNotify, type OutboxWorker } from "../outbox/worker.ts";
import { parseUserId, type EventId, type RoomId, type UserId } from "../registration/types.ts";
import type { BotDeps, BotSession } from "./bot.ts";
import { allCommands } from "./commands/index.ts";
import { mayUseTokens } from "./commands/permissions.ts";
import { createDispatcher, type Dispatcher } from "./dispatch.ts";
import { eventIdOf } from "./events.ts";
import { isInfrastructureError, type EventFailures } from "./failures.ts";
import { connectMatrix, routeSdkLogger, type MatrixApi } from "./matrix.ts";
import { createMessenger, plaintext, type EventCrypto, type RoomMessenger } from "./messenger.ts";
import { botCatalogs, type BotMessages } from "./messages/index.ts";
import { createBotOutboxHandlers } from "./outbox-handlers.ts";
import { botKeys } from "./ports.ts";
import { plain } from "./render/content.ts";
import type { RenderContext } from "./render/context.ts";
import { roomFactsFromState, type RoomFacts } from "./room-facts.ts";
import { startSyncLoop } from "./sync.ts";

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

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

async function joinModeratorRoom(api: MatrixApi, moderatorRoom: string): Promise<RoomId> {
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

/** (1) Logs in and joins the room, retrying with backoff and saying why in the log and /healthz. */
async function connect(
  deps: BotDeps,
  botUserId: UserId,
  signal: AbortSignal,
): Promise<{ api: MatrixApi; roomId: RoomId } | undefined> {
  const { config, state, health } = deps;
  const log = deps.logger.child({ component: "bot" });
  let api: MatrixApi | undefined;
  let roomId: RoomId | undefined;
  let delay = 1_000;
  while (!signal.aborted && (!api || !roomId)) {
    try {
      if (!api) {
        api = await connectMatrix({
          baseUrl: config.homeserver.url,
          userId: botUserId,
          accessToken: config.bot.accessToken,
          password: config.bot.password,
          deviceId: config.bot.deviceId ?? (await state.get(botKeys.deviceId)),
          timeoutMs: config.homeserver.requestTimeoutMs,
        });
        const me = await api.whoami();
        if (me.userId !== botUserId)
          throw new AppError(
            "config",
            `bot.accessToken belongs to ${me.userId}, not bot.userId ${botUserId}`,
          );
        if (me.deviceId) await state.set(botKeys.deviceId, me.deviceId, deps.clock());
      }
      roomId = await joinModeratorRoom(api, config.bot.moderatorRoom);
    } catch (error) {
      const detail = describeStartError(error, config.bot.moderatorRoom);
      health.report("bot", "down", detail);
      log.warn({ err: error }, `bot cannot start: ${detail}; retrying in ${Math.round(delay / 1000)} s`);
      // Logged in but not allowed into the room: keep the login; anything else logs in again.
      if (!(isAppError(error) && error.code === "forbidden" && api)) api = undefined;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 60_000);
    }
  }
  if (!api || !roomId || signal.aborted) return undefined;
  await state.set(botKeys.roomId, roomId, deps.clock());
  return { api, roomId };
}

export interface DispatcherWiring extends Pick<
  BotDeps,
  "config" | "moderation" | "state" | "clock" | "logger" | "onModeratorRoomChange"
> {
  botUserId: UserId;
  facts: RoomFacts;
  messenger: RoomMessenger;
  onEncrypted: (eventId: EventId) => Promise<void>;
}

/** The commands, the catalog and the dispatcher of a session (apart from the network, so tests build the same). */
export function createBotDispatcher(deps: DispatcherWiring): {
  dispatcher: Dispatcher;
  renderContext: (now: Date) => RenderContext;
  messages: BotMessages;
} {
  const { config, moderation, state, messenger } = deps;
  const bot = config.bot;
  const messages = botCatalogs[bot.locale ?? config.i18n.defaultLocale];
  const commands = allCommands({
    requests: moderation,
    tokens: { invites: moderation, state },
    permissions: moderation,
    bans: moderation,
    portal: {
      portal: moderation,
      sendLoginLink: async (userId, link, minutes, eventId) => {
        await messenger.direct(
          userId,
          { msgtype: "m.text", body: messages.portal.directMessage(link, minutes) },
          `direct-${eventId}`,
        );
      },
    },
  });
  const renderContext = (now: Date): RenderContext => ({
    messages,
    prefix: bot.commandPrefix,
    serverName: config.homeserver.serverName,
    approvalsRequired: bot.approvalsRequired,
    declinesRequired: bot.declinesRequired,
    moderatorPowerLevel: bot.moderatorPowerLevel,
    now,
    commands,
  });
  const dispatcher = createDispatcher({
    botUserId: deps.botUserId,
    prefix: bot.commandPrefix,
    refusalIntervalMs: bot.refusalNoticeSeconds * 1000,
    store: moderation.store,
    settings: moderation.settings,
    state,
    facts: deps.facts,
    messenger,
    commands,
    renderContext,
    mayUseTokens: mayUseTokens(moderation),
    clock: deps.clock,
    logger: deps.logger,
    onModeratorRoomChange: deps.onModeratorRoomChange,
    onEncrypted: deps.onEncrypted,
  });
  return { dispatcher, renderContext, messages };
}

/**
 * How the sync loop handles one event: decrypted (the seam for issue 13), dispatched, and recorded and skipped when
 * it fails for a reason of its own. Throws only outages, which stop the batch.
 */
export function createEventHandler(deps: {
  dispatcher: Dispatcher;
  crypto: EventCrypto;
  failures: EventFailures;
  clock: () => Date;
  onSkipped?: () => void;
}): (roomId: RoomId, raw: unknown) => Promise<void> {
  return async (roomId, raw) => {
    try {
      const outcome = await deps.dispatcher.dispatch(roomId, await deps.crypto.decrypt(roomId, raw));
      if (outcome.type !== "malformed") return;
      deps.failures.record({
        eventId: outcome.eventId,
        reason: "malformed",
        detail: outcome.problem,
        at: deps.clock(),
      });
    } catch (error) {
      if (isInfrastructureError(error)) throw error;
      const detail = isAppError(error)
        ? `AppError ${error.code}`
        : error instanceof Error
          ? error.name
          : typeof error;
      deps.failures.record({ eventId: eventIdOf(raw), reason: "error", detail, at: deps.clock() }, error);
    }
    deps.onSkipped?.();
  };
}

/** Starts a session: returns once the bot is in its room and syncing (undefined when stopped before that). */
export async function startSession(
  deps: BotDeps,
  failures: EventFailures,
  signal: AbortSignal,
): Promise<BotSession | undefined> {
  const { config, database, state, health } = deps;
  const bot = config.bot;
  const log = deps.logger.child({ component: "bot" });
  routeSdkLogger(deps.logger);
  // The config schema checked the grammar; this makes it a UserId.
  const botUserId = parseUserId(bot.userId);
  if (!botUserId) throw new AppError("config", `bot.userId ${bot.userId} is not a user ID`);

  const connected = await connect(deps, botUserId, signal);
  if (!connected) return undefined;
  const { api, roomId } = connected;

  // (2) Room facts from the current state, kept current by the dispatcher.
  const facts = roomFactsFromState(roomId, bot.moderatorPowerLevel, await api.roomState(roomId));
  const reportHealth = () => {
    if (facts.encrypted) {
      health.report(
        "bot",
        "degraded",
        `room ${roomId} is encrypted: end-to-end encryption is not supported yet, request details are not posted`,
      );
      return;
    }
    const last = failures.last();
    const skipped = last
      ? `; last skipped event ${last.eventId ?? "(without a valid id)"} at ${last.at.toISOString()} (${last.reason}: ${last.detail})`
      : "";
    health.report("bot", "ok", `in ${roomId} as ${botUserId}${skipped}`);
  };
  reportHealth();

  // (3) Dispatch: commands, votes, facts.
  const crypto = plaintext;
  const messenger = createMessenger({ api, roomId, state, clock: deps.clock, crypto });
  const { dispatcher, renderContext, messages } = createBotDispatcher({
    ...deps,
    botUserId,
    facts,
    messenger,
    async onEncrypted(eventId) {
      reportHealth();
      await messenger
        .notice(plain(messages.notices.encryptedRoom), `encrypted-${eventId}`)
        .catch((error: unknown) => log.warn({ err: error }, "could not say that the room is encrypted"));
    },
  });

  // (4) Sync: each event decrypted (the seam), dispatched, and skipped when it fails for a reason of its own.
  const handle = createEventHandler({
    dispatcher,
    crypto,
    failures,
    clock: deps.clock,
    onSkipped: reportHealth,
  });
  let syncFailing = false;
  const sync = await startSyncLoop(
    {
      api,
      roomId,
      state,
      clock: deps.clock,
      logger: log,
      handle,
      onBatch() {
        if (syncFailing) reportHealth();
        syncFailing = false;
      },
      onFailure(error) {
        syncFailing = true;
        health.report(
          "bot",
          "degraded",
          `sync failing, retrying: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    },
    signal,
  );

  // (5) The bot's outbox rows.
  const worker: OutboxWorker = createOutboxWorker({
    db: database.db,
    handlers: createBotOutboxHandlers({ store: deps.moderation.store, facts, messenger, renderContext }),
    logger: deps.logger,
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
    roomId,
    api,
    facts,
    caughtUp: () => sync.caughtUp(),
    outboxIdle: () => worker.idle(),
    async stop() {
      clearInterval(outboxTimer);
      unsubscribe?.();
      await unlisten();
      await worker.stop();
      await sync.stop();
      api.stop();
    },
  };
}
