// The outbox queue: claim due rows (FOR UPDATE SKIP LOCKED, so instances never take the same row), then complete,
// reschedule or bury them. Claims are leases: a worker that dies leaves its rows due again when the lease ends.
import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import type { Database, OutboxRow } from "./schema.ts";

export interface ClaimedOutboxRow {
  id: number;
  kind: string;
  requestId: number | null;
  payload: Record<string, unknown>;
  secret: Uint8Array | null;
  /** Attempts before this one. */
  attempts: number;
  createdAt: Date;
}

function toClaimed(row: OutboxRow): ClaimedOutboxRow {
  return {
    id: row.id,
    kind: row.kind,
    requestId: row.request_id,
    payload: row.payload,
    secret: row.secret,
    attempts: row.attempts,
    createdAt: row.created_at,
  };
}

/** Which rows a worker takes: its own kinds, and (for the one that buries them) kinds nobody knows. */
export interface OutboxKindFilter {
  kinds: readonly string[];
  /** Also rows whose kind is none of these (every known kind): they are reported and buried, never handled. */
  unknownBesides?: readonly string[] | undefined;
}

function kindCondition(eb: ExpressionBuilder<Database, "outbox">, filter: OutboxKindFilter) {
  const ors = [];
  if (filter.kinds.length > 0) ors.push(eb("kind", "in", filter.kinds));
  if (filter.unknownBesides && filter.unknownBesides.length > 0)
    ors.push(eb("kind", "not in", filter.unknownBesides));
  return eb.or(ors);
}

/** The NOTIFY channel that tells every instance's outbox workers that new rows were committed. */
export const OUTBOX_CHANNEL = "vestibule_outbox";

/**
 * When the earliest open row of these kinds can next be claimed (its next attempt, or the end of another worker's
 * lease on it), or null when none is open. A worker sleeps until then instead of waiting for the scheduled drain.
 */
export async function nextOutboxClaimAt(db: Kysely<Database>, kinds: OutboxKindFilter): Promise<Date | null> {
  if (kinds.kinds.length === 0 && !kinds.unknownBesides) return null;
  const row = await db
    .selectFrom("outbox")
    .select(
      sql<Date | null>`min(greatest(next_attempt_at, coalesce(claimed_until, next_attempt_at)))`.as("at"),
    )
    .where((eb) => kindCondition(eb, kinds))
    .where("completed_at", "is", null)
    .where("dead_at", "is", null)
    .executeTakeFirst();
  return row?.at ? new Date(row.at) : null;
}

export async function claimDueOutboxRows(
  db: Kysely<Database>,
  options: OutboxKindFilter & { limit: number; now: Date; leaseMs: number; owner: string },
): Promise<ClaimedOutboxRow[]> {
  if (options.kinds.length === 0 && !options.unknownBesides) return [];
  const leaseEnd = new Date(options.now.getTime() + options.leaseMs);
  return db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom("outbox")
      .select("id")
      .where((eb) => kindCondition(eb, options))
      .where("completed_at", "is", null)
      .where("dead_at", "is", null)
      .where("next_attempt_at", "<=", options.now)
      .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<", options.now)]))
      .orderBy("next_attempt_at")
      .orderBy("id")
      .limit(options.limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (due.length === 0) return [];
    const rows = await trx
      .updateTable("outbox")
      .set({ claimed_until: leaseEnd, claimed_by: options.owner })
      .where(
        "id",
        "in",
        due.map((r) => r.id),
      )
      .returningAll()
      .execute();
    return rows.sort((a, b) => a.id - b.id).map(toClaimed);
  });
}

/**
 * Renews this worker's claim right before it handles the row. False means the claim was lost meanwhile (its lease
 * ran out and another worker took the row, or it is done): the row must not be handled here.
 */
export async function renewOutboxClaim(
  db: Kysely<Database>,
  id: number,
  owner: string,
  until: Date,
): Promise<boolean> {
  const row = await db
    .updateTable("outbox")
    .set({ claimed_until: until })
    .where("id", "=", id)
    .where("claimed_by", "=", owner)
    .where("completed_at", "is", null)
    .where("dead_at", "is", null)
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

/** Done: the row stays as a record; its sealed secret (if any) is wiped now. */
export async function completeOutboxRow(db: Kysely<Database>, id: number, now: Date): Promise<void> {
  await db
    .updateTable("outbox")
    .set((eb) => ({
      completed_at: now,
      secret: null,
      claimed_until: null,
      claimed_by: null,
      attempts: eb("attempts", "+", 1),
      last_error: null,
    }))
    .where("id", "=", id)
    .execute();
}

export async function rescheduleOutboxRow(
  db: Kysely<Database>,
  id: number,
  options: { error: string; nextAttemptAt: Date },
): Promise<void> {
  await db
    .updateTable("outbox")
    .set((eb) => ({
      attempts: eb("attempts", "+", 1),
      last_error: options.error.slice(0, 2000),
      next_attempt_at: options.nextAttemptAt,
      claimed_until: null,
      claimed_by: null,
    }))
    .where("id", "=", id)
    .execute();
}

/** Given up for good. The secret is wiped; the row stays for inspection. */
export async function buryOutboxRow(
  db: Kysely<Database>,
  id: number,
  options: { error: string; now: Date },
): Promise<void> {
  await db
    .updateTable("outbox")
    .set((eb) => ({
      attempts: eb("attempts", "+", 1),
      last_error: options.error.slice(0, 2000),
      dead_at: options.now,
      secret: null,
      claimed_until: null,
      claimed_by: null,
    }))
    .where("id", "=", id)
    .execute();
}

/**
 * Releases every claim. Only for a single-process database (PGlite) at start-up: no other process can hold one,
 * so rows claimed by a process that crashed are due at once instead of after their lease.
 */
export async function releaseAllOutboxClaims(db: Kysely<Database>): Promise<number> {
  const result = await db
    .updateTable("outbox")
    .set({ claimed_until: null, claimed_by: null })
    .where("claimed_until", "is not", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Releases the claims of processes on this host that no longer run (a restart after a crash picks their rows up at
 * once instead of after the lease). Claims from other hosts are left to their leases.
 */
export async function releaseClaimsOfDeadProcesses(
  db: Kysely<Database>,
  host: string,
  isAlive: (pid: number) => boolean,
): Promise<number> {
  const owners = await db
    .selectFrom("outbox")
    .select("claimed_by")
    .distinct()
    .where("claimed_by", "like", `${host.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`)
    .where("completed_at", "is", null)
    .execute();
  const dead = owners
    .map((o) => o.claimed_by!)
    .filter((owner) => {
      const pid = Number(owner.slice(host.length + 1).split(":")[0]);
      return Number.isInteger(pid) && pid > 0 && !isAlive(pid);
    });
  if (dead.length === 0) return 0;
  const result = await db
    .updateTable("outbox")
    .set({ claimed_until: null, claimed_by: null })
    .where("claimed_by", "in", dead)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Makes every open row of these kinds for a request due now (e.g. !retry after a long backoff). */
export async function expediteOutbox(
  db: Kysely<Database>,
  requestId: number,
  kinds: readonly string[],
  now: Date,
) {
  await db
    .updateTable("outbox")
    .set({ next_attempt_at: now })
    .where("request_id", "=", requestId)
    .where("kind", "in", kinds)
    .where("completed_at", "is", null)
    .where("dead_at", "is", null)
    .execute();
}

export interface OutboxStats {
  kind: string;
  open: number;
  dead: number;
  oldestOpenAt: Date | null;
}

export async function outboxStats(db: Kysely<Database>): Promise<OutboxStats[]> {
  const rows = await db
    .selectFrom("outbox")
    .select([
      "kind",
      sql<number>`count(*) filter (where completed_at is null and dead_at is null)::int`.as("open"),
      sql<number>`count(*) filter (where dead_at is not null)::int`.as("dead"),
      sql<Date | null>`min(created_at) filter (where completed_at is null and dead_at is null)`.as(
        "oldest_open_at",
      ),
    ])
    .groupBy("kind")
    .execute();
  return rows.map((r) => ({ kind: r.kind, open: r.open, dead: r.dead, oldestOpenAt: r.oldest_open_at }));
}
