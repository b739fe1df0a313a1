// Reads and locks provisioning needs beyond the registration store.
import type { Kysely } from "kysely";
import type { DatabaseHandle } from "./database.ts";
import type { Database } from "./schema.ts";

/** The sealed password typed on the form (collectPassword), if it is still held. */
export async function requestPasswordCiphertext(
  db: Kysely<Database>,
  requestId: number,
): Promise<Uint8Array | null> {
  const row = await db
    .selectFrom("registration_request")
    .select("password_ciphertext")
    .where("id", "=", requestId)
    .executeTakeFirst();
  return row?.password_ciphertext ?? null;
}

/** The approval token of a request that is still live on the homeserver, as Vestibule recorded it. */
export async function approvalTokenOf(
  db: Kysely<Database>,
  requestId: number,
): Promise<{ token: string; expiresAt: Date | null } | null> {
  const row = await db
    .selectFrom("homeserver_token")
    .select(["token", "expires_at"])
    .where("request_id", "=", requestId)
    .where("purpose", "=", "approval")
    .where("deleted_at", "is", null)
    .orderBy("created_at", "desc")
    .executeTakeFirst();
  return row ? { token: row.token, expiresAt: row.expires_at } : null;
}

// Advisory-lock namespace for per-request work (the second key is the request id).
const REQUEST_LOCK_NAMESPACE = 7_314_001;
/** Locks held in this process, per database (tests run several services in one process). */
const inProcessLocks = new WeakMap<DatabaseHandle, Set<number>>();

/**
 * Runs `work` while holding a lock on the request, so two workers (in this process or another instance) never
 * create the same account at once. Returns "busy" when another holder has it. PostgreSQL: a session advisory lock
 * on one pooled connection held for the duration; PGlite (one process): an in-process lock.
 */
export async function withRequestLock<T>(
  database: DatabaseHandle,
  requestId: number,
  work: () => Promise<T>,
): Promise<T | "busy"> {
  let held = inProcessLocks.get(database);
  if (!held) inProcessLocks.set(database, (held = new Set()));
  if (held.has(requestId)) return "busy";
  held.add(requestId);
  try {
    if (database.kind === "pglite") return await work();
    // A dedicated session, not a pooled connection: the work itself needs the pool, and holding pool connections
    // while waiting for it could starve it under load.
    if (!database.openSession) throw new Error("PostgreSQL handle without sessions");
    const session = await database.openSession();
    try {
      const rows = await session.query<{ ok: boolean }>("select pg_try_advisory_lock($1, $2) as ok", [
        REQUEST_LOCK_NAMESPACE,
        requestId,
      ]);
      if (!rows[0]?.ok) return "busy";
      return await work();
    } finally {
      // Closing the session releases its advisory locks.
      await session.close();
    }
  } finally {
    held.delete(requestId);
  }
}
