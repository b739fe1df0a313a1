// Fixed-window counters in the database, so a limit holds across every instance behind a load balancer.
import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.ts";

export interface RateLimitResult {
  allowed: boolean;
  /** Hits in the current window, this one included. */
  hits: number;
  /** When the window ends (Retry-After). */
  resetAt: Date;
}

/** Counts one hit for `key` and says whether it is within `points` per `windowSeconds`. One atomic statement. */
export async function hitRateLimit(
  db: Kysely<Database>,
  key: string,
  limit: { points: number; windowSeconds: number },
  now: Date,
): Promise<RateLimitResult> {
  const windowMs = limit.windowSeconds * 1000;
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const row = await db
    .insertInto("rate_limit")
    .values({ key, window_start: windowStart, hits: 1 })
    .onConflict((oc) => oc.columns(["key", "window_start"]).doUpdateSet({ hits: sql`rate_limit.hits + 1` }))
    .returning("hits")
    .executeTakeFirstOrThrow();
  return {
    allowed: row.hits <= limit.points,
    hits: row.hits,
    resetAt: new Date(windowStart.getTime() + windowMs),
  };
}

/** The hits counted in the current window for each key (0 when none), without counting one. */
export async function readRateLimits(
  db: Kysely<Database>,
  keys: readonly string[],
  windowSeconds: number,
  now: Date,
): Promise<Map<string, number>> {
  const windowMs = windowSeconds * 1000;
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  if (keys.length === 0) return new Map();
  const rows = await db
    .selectFrom("rate_limit")
    .select(["key", "hits"])
    .where("key", "in", keys)
    .where("window_start", "=", windowStart)
    .execute();
  return new Map(rows.map((r) => [r.key, r.hits]));
}
