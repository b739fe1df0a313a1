// The outbox worker: claims due rows of the kinds it has handlers for, decodes each for its kind and runs its handler.
// Woken right after each commit (and by NOTIFY from other instances), when the next row becomes due, and on a
// schedule as a safety net. A row that cannot be decoded is reported (metric + log with its id) and buried.
import type { Kysely } from "kysely";
import type { DatabaseHandle } from "../db/database.ts";
import type { Database } from "../db/schema.ts";
import {
  buryOutboxRow,
  claimDueOutboxRows,
  nextOutboxClaimAt,
  completeOutboxRow,
  OUTBOX_CHANNEL,
  renewOutboxClaim,
  rescheduleOutboxRow,
  type ClaimedOutboxRow,
  type OutboxKindFilter,
} from "../db/outbox.repository.ts";
import { isAppError, unreachable } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { SideEffectKind } from "../registration/side-effects.ts";
import {
  decodeOutboxRow,
  handlerFor,
  outboxKinds,
  type OutboxHandlers,
  type OutboxOutcome,
} from "./registry.ts";

export type { OutboxHandler, OutboxHandlers, OutboxJob, OutboxOutcome } from "./registry.ts";

/** Why a row was buried without running a handler. */
export type InvalidRowReason = "unknown_kind" | "malformed";

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 2_000, maxMs: 15 * 60_000 };

/** Exponential backoff with ±20 % jitter, so many failed rows do not all come back at the same instant. */
export function backoffDelay(
  attempts: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempts, 30));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

export interface OutboxWorkerOptions {
  db: Kysely<Database>;
  handlers: OutboxHandlers;
  /**
   * Also claim rows of kinds this registry does not know (a misspelling, a hand-made row) and bury them with a
   * report. One worker per process does this (the jobs role's), so such rows never lie unclaimed. A release that adds
   * a kind therefore upgrades the processes running the jobs role first.
   */
  buryUnknownKinds?: boolean;
  logger: Logger;
  /** Identifies this process in claims (host:pid:random). */
  owner: string;
  leaseMs?: number;
  batchSize?: number;
  /** Rows handled at once. Rows of one request run in order, one after another. */
  concurrency?: number;
  backoff?: BackoffPolicy;
  clock?: () => Date;
  /** Called after each handled row (metrics). */
  onOutcome?: (kind: string, outcome: OutboxOutcome["status"]) => void;
  /** Called for each row buried because it could not be decoded (metrics). `kind` is "unknown" for unknown kinds. */
  onInvalid?: (kind: string, reason: InvalidRowReason) => void;
}

export interface OutboxDrainSummary {
  claimed: number;
  done: number;
  retried: number;
  dead: number;
}

export interface OutboxWorker {
  /** Claims and handles due rows until none are left (or the worker stops). The job function. */
  drain(now?: Date): Promise<OutboxDrainSummary>;
  /** Asks for a drain soon; calls made while a drain runs coalesce into one more drain. */
  wake(): void;
  /** Resolves when the worker is idle (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
  kinds: readonly SideEffectKind[];
}

export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const kinds = outboxKinds.filter((kind) => options.handlers[kind] !== undefined);
  const filter: OutboxKindFilter = {
    kinds,
    unknownBesides: options.buryUnknownKinds ? outboxKinds : undefined,
  };
  const leaseMs = options.leaseMs ?? 120_000;
  const concurrency = options.concurrency ?? 8;
  // Claim about as many rows as are handled at once, so claimed rows do not wait long for their turn.
  const batchSize = options.batchSize ?? concurrency * 2;
  const backoff = options.backoff ?? defaultBackoff;
  const clock = options.clock ?? (() => new Date());
  const log = options.logger.child({ component: "outbox" });

  let stopped = false;
  let running: Promise<unknown> | null = null;
  let again = false;
  let retryTimer: NodeJS.Timeout | null = null;

  /** Buries a row no handler can take, and says so where operators look (log with the row id, metric). */
  async function reject(row: ClaimedOutboxRow, reason: InvalidRowReason, error: string) {
    log.error(
      { outboxId: row.id, kind: row.kind, requestId: row.requestId, reason, error },
      reason === "unknown_kind"
        ? "outbox row of an unknown kind buried"
        : "outbox row with a malformed payload buried",
    );
    options.onInvalid?.(reason === "unknown_kind" ? "unknown" : row.kind, reason);
    await buryOutboxRow(options.db, row.id, { error: `${reason}: ${error}`, now: clock() });
  }

  async function handle(row: ClaimedOutboxRow): Promise<OutboxOutcome["status"] | "skipped"> {
    const started = clock();
    // The lease counts from now, not from when the batch was claimed; a row whose claim ran out meanwhile may
    // already be in another worker's hands, and handling it here too would do its side effect twice.
    if (!(await renewOutboxClaim(options.db, row.id, options.owner, new Date(started.getTime() + leaseMs))))
      return "skipped";
    const decoded = decodeOutboxRow(row);
    const handler = decoded.ok ? handlerFor(options.handlers, decoded.job.kind) : undefined;
    if (!decoded.ok || !handler) {
      // A known kind without a handler here is never claimed (the filter), so no handler means an unknown kind.
      const reason = decoded.ok ? "unknown_kind" : decoded.reason;
      try {
        await reject(row, reason, decoded.ok ? `no handler for ${row.kind}` : decoded.error);
      } catch (error) {
        log.error({ err: error, outboxId: row.id }, "could not bury an invalid outbox row");
      }
      options.onOutcome?.(row.kind, "dead");
      return "dead";
    }
    let outcome: OutboxOutcome;
    try {
      outcome = await handler(decoded.job, started);
    } catch (error) {
      outcome = outcomeOfError(error);
      if (!isAppError(error) || error.code === "internal") {
        log.error({ err: error, outboxId: row.id, kind: row.kind }, "outbox handler failed unexpectedly");
      }
    }
    const now = clock();
    try {
      switch (outcome.status) {
        case "done":
          await completeOutboxRow(options.db, row.id, now);
          break;
        case "dead":
          await buryOutboxRow(options.db, row.id, { error: outcome.error, now });
          log.warn(
            { outboxId: row.id, kind: row.kind, requestId: row.requestId, error: outcome.error },
            "outbox row given up",
          );
          break;
        case "retry": {
          const delay = Math.max(outcome.retryAfterMs ?? 0, backoffDelay(row.attempts, backoff));
          await rescheduleOutboxRow(options.db, row.id, {
            error: outcome.error,
            nextAttemptAt: new Date(now.getTime() + delay),
          });
          log.info(
            {
              outboxId: row.id,
              kind: row.kind,
              requestId: row.requestId,
              attempts: row.attempts + 1,
              retryInMs: delay,
              error: outcome.error,
            },
            "outbox row will be retried",
          );
          break;
        }
        default:
          unreachable(outcome);
      }
    } catch (error) {
      // The database went away between the side effect and its record. The lease expires and the row is retried.
      log.error({ err: error, outboxId: row.id }, "could not record the outcome of an outbox row");
    }
    options.onOutcome?.(row.kind, outcome.status);
    return outcome.status;
  }

  // One timer, for the earliest row not yet due (set after each drain); the scheduled drain is the safety net.
  let retryAt = Infinity;
  function scheduleRetryWake(delay: number) {
    if (stopped) return;
    const at = Date.now() + Math.max(0, delay) + 50;
    if (retryTimer && retryAt <= at) return;
    if (retryTimer) clearTimeout(retryTimer);
    retryAt = at;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      retryAt = Infinity;
      worker.wake();
    }, at - Date.now());
    retryTimer.unref();
  }

  async function drainOnce(summary: OutboxDrainSummary, now: Date): Promise<number> {
    const rows = await claimDueOutboxRows(options.db, {
      ...filter,
      limit: batchSize,
      now,
      leaseMs,
      owner: options.owner,
    });
    summary.claimed += rows.length;
    // Rows of one request keep their order (post before edit); different requests run side by side.
    const groups = new Map<string, ClaimedOutboxRow[]>();
    for (const row of rows) {
      const key = row.requestId === null ? `row:${row.id}` : `request:${row.requestId}`;
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    const queue = [...groups.values()];
    const runners = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let group = queue.shift(); group; group = queue.shift()) {
        for (const row of group) {
          const status = await handle(row);
          if (status === "done") summary.done++;
          else if (status === "dead") summary.dead++;
          else if (status === "retry") summary.retried++;
        }
      }
    });
    await Promise.all(runners);
    return rows.length;
  }

  const worker: OutboxWorker = {
    kinds,
    async drain(now) {
      const summary: OutboxDrainSummary = { claimed: 0, done: 0, retried: 0, dead: 0 };
      // Keep going while full batches come back; rows rescheduled in this drain are not due again yet.
      while (!stopped) {
        const count = await drainOnce(summary, now ?? clock());
        if (count < batchSize) break;
      }
      // Rows that are not due yet (a retry's backoff, another worker's lease): wake up when the first one is.
      if (!stopped) {
        const next = await nextOutboxClaimAt(options.db, filter).catch(() => null);
        // At least 100 ms (a row just out of reach, a fixed test clock), at most 15 minutes (the scheduled drain
        // runs long before that anyway).
        if (next) scheduleRetryWake(Math.min(Math.max(next.getTime() - clock().getTime(), 100), 900_000));
      }
      return summary;
    },
    wake() {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      const loop = async () => {
        do {
          again = false;
          try {
            await worker.drain();
          } catch (error) {
            log.warn({ err: error }, "outbox drain failed; will retry on the next wake-up");
            scheduleRetryWake(backoff.baseMs);
          }
        } while (again && !stopped);
      };
      running = loop().finally(() => {
        running = null;
      });
    },
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      while (running) await running;
    },
  };
  return worker;
}

/** Maps a thrown error to an outcome: `rejected` is permanent, everything else may pass. */
export function outcomeOfError(error: unknown): OutboxOutcome {
  if (isAppError(error)) {
    if (error.code === "rejected" || error.code === "bad_input")
      return { status: "dead", error: error.message };
    const retryAfter = error.detail["retryAfterMs"];
    return typeof retryAfter === "number"
      ? { status: "retry", error: error.message, retryAfterMs: retryAfter }
      : { status: "retry", error: error.message };
  }
  return { status: "retry", error: error instanceof Error ? error.message : String(error) };
}

/**
 * Wakes the worker whenever another instance commits outbox rows (PostgreSQL NOTIFY on the one channel every writer
 * notifies). PGlite has one process, whose commits wake the worker directly. Returns the function that stops it.
 */
export async function wakeOnNotify(
  database: Pick<DatabaseHandle, "listen">,
  worker: Pick<OutboxWorker, "wake">,
): Promise<() => Promise<void>> {
  if (!database.listen) return () => Promise.resolve();
  return database.listen(OUTBOX_CHANNEL, () => worker.wake());
}
