// Secret tokens (verification, status, set-password, token registration, portal sign-in links and sessions): only
// the SHA-256 is kept. The functions take the database or a transaction; createPortalSessionStore() is the
// moderation core's PortalSessionStore over them.
import type { Kysely, Transaction } from "kysely";
import type {
  PortalSessionStore,
  PortalSessionTx,
  PortalTokenRecord,
  StoredSession,
} from "../moderation/ports.ts";
import type { SecretPurpose } from "../registration/ports.ts";
import type { UserId } from "../registration/types.ts";
import { appendAudit } from "./audit.repository.ts";
import { claimHandledEvent } from "./bot.repository.ts";
import type { Database } from "./schema.ts";

export type ClaimResult =
  | { ok: true; requestId: number | null; subject: string | null }
  | { ok: false; reason: "unknown" | "expired" | "used" };

type Executor = Kysely<Database> | Transaction<Database>;

export async function insertSecretToken(
  db: Executor,
  token: {
    hash: Uint8Array;
    purpose: SecretPurpose;
    requestId: number | null;
    subject?: string | null;
    expiresAt: Date | null;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto("secret_token")
    .values({
      hash: token.hash,
      purpose: token.purpose,
      request_id: token.requestId,
      subject: token.subject ?? null,
      expires_at: token.expiresAt,
      created_at: token.now,
    })
    .execute();
}

/**
 * Uses a one-time token: marks it used only if it is unused and unexpired, in one statement, so two concurrent
 * submissions of the same link cannot both pass.
 */
export async function claimSecretToken(
  db: Executor,
  hash: Uint8Array,
  purpose: SecretPurpose,
  now: Date,
): Promise<ClaimResult> {
  const claimed = await db
    .updateTable("secret_token")
    .set({ used_at: now })
    .where("hash", "=", hash)
    .where("purpose", "=", purpose)
    .where("used_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .returning(["request_id", "subject"])
    .executeTakeFirst();
  if (claimed) return { ok: true, requestId: claimed.request_id, subject: claimed.subject };
  const row = await db
    .selectFrom("secret_token")
    .select(["purpose", "used_at"])
    .where("hash", "=", hash)
    .executeTakeFirst();
  if (!row || row.purpose !== purpose) return { ok: false, reason: "unknown" };
  return { ok: false, reason: row.used_at ? "used" : "expired" };
}

/** Gives a claimed token back when the work it stood for failed and may be tried again. */
export async function releaseSecretToken(db: Executor, hash: Uint8Array): Promise<void> {
  await db.updateTable("secret_token").set({ used_at: null }).where("hash", "=", hash).execute();
}

export async function findSecretToken(db: Executor, hash: Uint8Array): Promise<PortalTokenRecord | null> {
  const row = await db
    .selectFrom("secret_token")
    .select(["purpose", "subject", "created_at", "expires_at", "used_at"])
    .where("hash", "=", hash)
    .executeTakeFirst();
  return row
    ? {
        purpose: row.purpose,
        subject: row.subject,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        usedAt: row.used_at,
      }
    : null;
}

/** Ends the live portal sessions of one user, or of everyone (null). */
export async function revokeAdminSessions(db: Executor, userId: UserId | null, now: Date): Promise<number> {
  let query = db
    .updateTable("secret_token")
    .set({ used_at: now })
    .where("purpose", "=", "admin_session")
    .where("used_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]));
  if (userId !== null) query = query.where("subject", "=", userId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function liveAdminSessions(
  db: Executor,
  userId: UserId | null,
  now: Date,
): Promise<StoredSession[]> {
  let query = db
    .selectFrom("secret_token")
    .select(["hash", "subject", "created_at", "expires_at"])
    .where("purpose", "=", "admin_session")
    .where("used_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .orderBy("created_at", "desc");
  if (userId !== null) query = query.where("subject", "=", userId);
  const rows = await query.execute();
  return rows.map((r) => ({
    hash: r.hash,
    subject: r.subject ?? "",
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  }));
}

export function createPortalSessionStore(db: Kysely<Database>): PortalSessionStore {
  const txFor = (trx: Transaction<Database>): PortalSessionTx => ({
    insert: (token, now) =>
      insertSecretToken(trx, {
        hash: token.hash,
        purpose: token.purpose,
        requestId: null,
        subject: token.subject,
        expiresAt: token.expiresAt,
        now,
      }),
    claim: (hash, purpose, now) => claimSecretToken(trx, hash, purpose, now),
    revokeSessions: (userId, now) => revokeAdminSessions(trx, userId, now),
    audit: (entry, now) => appendAudit(trx, { requestId: null, ...entry, now }),
    claimEvent: (eventId, now) => claimHandledEvent(trx, eventId, now),
  });
  return {
    find: (hash) => findSecretToken(db, hash),
    liveSessions: (userId, now) => liveAdminSessions(db, userId, now),
    transaction: (work) => db.transaction().execute((trx) => work(txFor(trx))),
  };
}
