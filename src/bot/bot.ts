// The moderator bot role: runs where this instance holds the bot lock (leader.ts) and keeps one session going
// (session.ts). A session logs in, joins the moderators' room, follows it with its own /sync loop whose position
// is stored (events that happened while it was down are handled after a restart, exactly once), turns reactions
// and commands into domain transitions, and carries out the bot's outbox rows.
import type { Registry } from "prom-client";
import type { Config } from "../config/index.ts";
import type { DatabaseHandle } from "../db/database.ts";
import type { Health } from "../health.ts";
import type { Logger } from "../logger.ts";
import type { ModerationDeps } from "../moderation/index.ts";
import type { RoomId } from "../registration/types.ts";
import { createEventFailures, type EventFailures } from "./failures.ts";
import { runAsLeader } from "./leader.ts";
import type { MatrixApi } from "./matrix.ts";
import type { BotStore } from "./ports.ts";
import type { RoomFacts } from "./room-facts.ts";
import { startSession } from "./session.ts";

export interface BotDeps {
  config: Config;
  logger: Logger;
  /** The outbox worker's database, the bot lock, and NOTIFY wake-ups. */
  database: DatabaseHandle;
  /** The use cases the commands and votes call (decisions, bans, invitations, permissions, portal sign-in). */
  moderation: ModerationDeps;
  /** The bot's own bookkeeping (sync position, device, direct rooms, handled events). */
  state: BotStore;
  health: Health;
  clock: () => Date;
  instanceId: string;
  /** Where the bot's metrics are registered (one registry per service instance). */
  metrics?: Registry | undefined;
  /** Subscribes to "new outbox rows were committed in this process"; returns the unsubscribe function. */
  onOutboxRows?: (listener: () => void) => () => void;
  /** Power levels or membership of the moderators' room changed (e.g. to invalidate cached moderator rights). */
  onModeratorRoomChange?: (() => void) | undefined;
}

export interface BotSession {
  roomId: RoomId;
  api: MatrixApi;
  /** Who moderates the room right now. */
  facts: RoomFacts;
  /** Resolves after the sync loop has handled everything the server had at the time of the call (tests). */
  caughtUp(): Promise<void>;
  /** Resolves when the bot's outbox worker has nothing in hand (tests). */
  outboxIdle(): Promise<void>;
  stop(): Promise<void>;
}

export interface BotRole {
  stop(): Promise<void>;
  /** The running session, if this instance is the leader (tests). */
  session(): BotSession | undefined;
}

/**
 * Starts a session, and starts again when the start fails after the login (the room's state or the first sync
 * could not be read): a start-up error must not leave a leader without a bot.
 */
async function keepStarting(
  deps: BotDeps,
  failures: EventFailures,
  signal: AbortSignal,
): Promise<BotSession | undefined> {
  const log = deps.logger.child({ component: "bot" });
  let delay = 1_000;
  while (!signal.aborted) {
    try {
      return await startSession(deps, failures, signal);
    } catch (error) {
      deps.health.report(
        "bot",
        "down",
        `start failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      log.warn({ err: error }, `bot session could not start; retrying in ${delay / 1000} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      delay = Math.min(delay * 2, 60_000);
    }
  }
  return undefined;
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
  // Once per role, not per session: the counter lives in the service's registry across leadership changes.
  const failures = createEventFailures({ logger: log, registry: deps.metrics });
  let current: BotSession | undefined;
  deps.health.report("bot", "degraded", "starting");
  const leadership = runAsLeader(
    deps.database,
    log,
    () => {
      const abort = new AbortController();
      const starting = keepStarting(deps, failures, abort.signal).then((session) => {
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
