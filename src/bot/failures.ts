// Which failures stop the sync loop and which only skip one event. An outage (homeserver unavailable, database
// down) stops the batch, which is handled again once the dependency is back; any other failure is the event's own
// (a value the bot cannot use, a bug its content triggers): it is recorded — log with the event id, a metric, the
// last one on /healthz — and skipped, so no event can hold up the ones after it.
import { Counter, type Registry } from "prom-client";
import { isAppError } from "../errors.ts";
import type { Logger } from "../logger.ts";

/** SQLSTATE classes of a database that is away or overloaded (connection, resources, operator, system) or of a
 * transaction that may simply be retried (40: serialization failure, deadlock). */
const transientSqlState = /^(08|40|53|57|58)[0-9A-Z]{3}$/;
const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
/** What node-postgres and PGlite say, without a code, when the connection is gone. */
const goneMessages =
  /connection terminated|connection error|timeout exceeded when trying to connect|cannot use a pool after calling end|pglite is closed|client was closed/i;

export function isInfrastructureError(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  if (isAppError(error)) return error.code === "unavailable" || error.code === "rate_limited";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (transientSqlState.test(code) || networkCodes.has(code))) return true;
  if (error instanceof Error && goneMessages.test(error.message)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isInfrastructureError(e, depth + 1)))
    return true;
  return isInfrastructureError((error as { cause?: unknown }).cause, depth + 1);
}

export interface FailedEvent {
  /** The event id when it was valid; otherwise the event could not even be named. */
  eventId: string | undefined;
  reason: "malformed" | "error";
  detail: string;
  at: Date;
}

export interface EventFailures {
  /** `error`: what was thrown, logged in full (the failure's detail is what /healthz shows). */
  record(failure: FailedEvent, error?: unknown): void;
  last(): FailedEvent | undefined;
}

/** `registry`: the service's metrics registry (one per service instance); the counter is registered once. */
export function createEventFailures(deps: {
  logger: Logger;
  registry?: Registry | undefined;
}): EventFailures {
  const counter = deps.registry
    ? new Counter({
        name: "vestibule_bot_events_failed_total",
        help: "Room events the bot skipped because handling them failed for a reason of their own, by reason (malformed, error).",
        labelNames: ["reason"] as const,
        registers: [deps.registry],
      })
    : undefined;
  let last: FailedEvent | undefined;
  return {
    record(failure, error) {
      last = failure;
      counter?.inc({ reason: failure.reason });
      const line = {
        eventId: failure.eventId ?? "(invalid)",
        reason: failure.reason,
        detail: failure.detail,
      };
      if (error === undefined) deps.logger.warn(line, "malformed room event skipped");
      else deps.logger.error({ ...line, err: error }, "room event skipped: handling it failed");
    },
    last: () => last,
  };
}
