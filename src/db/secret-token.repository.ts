// Secret tokens (verification, status, set-password, token registration, admin login): only the SHA-256 is kept.
import type { Kysely } from "kysely";
import type { SecretPurpose } from "../registration/ports.ts";
import type { Database } from "./schema.ts";

export async function insertSecretToken(
  db: Kysely<Database>,
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

export type ClaimResult =
  | { ok: true; requestId: number | null; subject: string | null }
  | { ok: false; reason: "unknown" | "expired" | "used" };

/**
 * Uses a one-time token: marks it used only if it is unused and unexpired, in one statement, so two concurrent
 * submissions of the same link cannot both pass.
 */
export async function claimSecretToken(
  db: Kysely<Database>,
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
export async function releaseSecretToken(db: Kysely<Database>, hash: Uint8Array): Promise<void> {
  await db.updateTable("secret_token").set({ used_at: null }).where("hash", "=", hash).execute();
}
