// The bot's own /sync loop. Its position is stored after each batch is handled: a crash replays the batch, and the
// per-event claims make the replay change nothing twice. A gap (limited timeline) is filled from /messages. An
// event that fails for a reason of its own is skipped by `handle`; an outage thrown by `handle` stops the batch,
// which is fetched and handled again after a backoff.
import type { Logger } from "../logger.ts";
import { parseRoomId, type RoomId } from "../registration/types.ts";
import { eventIdOf } from "./events.ts";
import type { JoinedRoomSync, MatrixApi } from "./matrix.ts";
import { botKeys, type BotStore } from "./ports.ts";

export interface SyncLoopDeps {
  api: MatrixApi;
  /** The moderators' room: an invitation to it (after a kick) is accepted; others are not. */
  roomId: RoomId;
  state: BotStore;
  clock: () => Date;
  logger: Logger;
  /** Handles one event; throws only what must stop the batch (outages). */
  handle(roomId: RoomId, raw: unknown): Promise<void>;
  /** A batch went through (after failures: the loop works again). */
  onBatch(): void;
  onFailure(error: unknown): void;
}

export interface SyncLoop {
  /** Resolves after the loop has handled everything the server had at the time of the call (tests). */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

/** Only what the bot reads: messages, reactions, redactions and the state that decides who moderates. */
const stateTypes = ["m.room.power_levels", "m.room.member", "m.room.encryption", "m.room.create"];
const filter = {
  presence: { not_types: ["*"] },
  account_data: { not_types: ["*"] },
  room: {
    account_data: { not_types: ["*"] },
    ephemeral: { not_types: ["*"] },
    state: { lazy_load_members: true, types: stateTypes },
    timeline: { limit: 100, types: ["m.room.message", "m.reaction", "m.room.redaction", ...stateTypes] },
  },
};

const BACKFILL_MAX_EVENTS = 5_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

export async function startSyncLoop(deps: SyncLoopDeps, signal: AbortSignal): Promise<SyncLoop> {
  const { api, state } = deps;
  let since = await state.get(botKeys.syncToken);
  if (!since) {
    // First start: begin from now; history before the bot existed is not acted upon.
    const initial = await api.sync({
      since: undefined,
      timeoutMs: 0,
      filter: { ...filter, room: { ...filter.room, timeline: { limit: 0 } } },
    });
    since = initial.next_batch;
    await state.set(botKeys.syncToken, since, deps.clock());
  }

  const abort = new AbortController();
  signal.addEventListener("abort", () => abort.abort());
  let batches = 0;
  const waiters: { target: number; resolve: () => void }[] = [];
  const batchDone = () => {
    batches++;
    for (const waiter of [...waiters]) {
      if (batches >= waiter.target) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  async function handleRoom(roomId: RoomId, sync: JoinedRoomSync, from: string) {
    let events = sync.timeline?.events ?? [];
    if (sync.timeline?.limited && sync.timeline.prev_batch) {
      // A gap: fetch what the sync left out, back to where we were.
      const missed = await api.backfill(roomId, sync.timeline.prev_batch, from, BACKFILL_MAX_EVENTS);
      const seen = new Set(events.map(eventIdOf));
      events = [...missed.filter((e) => eventIdOf(e) === undefined || !seen.has(eventIdOf(e))), ...events];
    }
    // State before the timeline, then the timeline in order: facts are right for each event when it is handled.
    for (const event of [...(sync.state?.events ?? []), ...events]) await deps.handle(roomId, event);
  }

  const loop = (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        const response = await api.sync({ since, timeoutMs: 30_000, filter, signal: abort.signal });
        for (const invited of Object.keys(response.rooms?.invite ?? {})) {
          // Invited again to the moderators' room (e.g. after a kick): join. Other invitations are ignored.
          if (invited === deps.roomId) await api.join(deps.roomId).catch(() => undefined);
        }
        for (const [key, sync] of Object.entries(response.rooms?.join ?? {})) {
          const roomId = parseRoomId(key);
          if (roomId) await handleRoom(roomId, sync, since);
        }
        since = response.next_batch;
        await state.set(botKeys.syncToken, since, deps.clock());
        failures = 0;
        deps.onBatch();
        batchDone();
      } catch (error) {
        if (abort.signal.aborted) break;
        failures++;
        const wait = Math.min(1_000 * 2 ** Math.min(failures, 5), 30_000);
        deps.onFailure(error);
        deps.logger.warn({ err: error }, `bot sync failed; retrying in ${wait / 1000} s`);
        await sleep(wait, abort.signal);
      }
    }
  })();

  return {
    caughtUp() {
      // Two complete batches after the call: the first may have started before the caller's events.
      return new Promise((resolve) => waiters.push({ target: batches + 2, resolve }));
    },
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
