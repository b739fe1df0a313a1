// One bot across instances: the bot role runs only where it holds a PostgreSQL advisory lock on a dedicated
// session. The others poll and take over when the holder's session ends (process killed, connection lost).
// PGlite is one process: it simply runs.
import type { DatabaseHandle, DedicatedSession } from "../db/database.ts";
import type { Logger } from "../logger.ts";

const BOT_LOCK = [7_314_002, 1] as const;

export interface Leadership {
  stop(): Promise<void>;
}

/**
 * Calls `lead()` whenever this process becomes the leader; the function it returns is called when leadership ends
 * (or on stop). `onStandby` reports that another instance holds the role.
 */
export function runAsLeader(
  database: DatabaseHandle,
  logger: Logger,
  lead: () => Promise<() => Promise<void>>,
  options: { pollMs?: number; onStandby?: () => void; onError?: (error: unknown) => void } = {},
): Leadership {
  const pollMs = options.pollMs ?? 3_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let session: DedicatedSession | undefined;
  let resign: (() => Promise<void>) | undefined;
  let loop: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      loop = attempt();
    }, pollMs);
    timer.unref();
  };

  const attempt = async () => {
    if (stopped) return;
    try {
      if (!database.openSession) {
        resign = await lead();
        return;
      }
      session = await database.openSession();
      const rows = await session.query<{ ok: boolean }>("select pg_try_advisory_lock($1, $2) as ok", [
        ...BOT_LOCK,
      ]);
      if (!rows[0]?.ok) {
        await session.close();
        session = undefined;
        options.onStandby?.();
        return schedule();
      }
      logger.info("this instance now runs the bot (holds the bot lock)");
      const held = session;
      resign = await lead();
      // When the session ends, so does the lock: step down and compete again.
      void held.ended.then(async () => {
        if (stopped || session !== held) return;
        logger.warn("lost the bot lock (database session ended); stepping down");
        const previous = resign;
        resign = undefined;
        session = undefined;
        await previous?.().catch((error: unknown) =>
          logger.warn({ err: error }, "error while stopping the bot"),
        );
        schedule();
      });
    } catch (error) {
      options.onError?.(error);
      await session?.close().catch(() => undefined);
      session = undefined;
      schedule();
    }
  };

  loop = attempt();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await loop;
      const previous = resign;
      resign = undefined;
      await previous?.();
      await session?.close();
      session = undefined;
    },
  };
}
