// Local mode: the accounts Vestibule itself keeps (argon2id hashes from libsodium).
import type { Kysely } from "kysely";
import type { Database, LocalAccountRow } from "./schema.ts";

export interface LocalAccount {
  localpart: string;
  email: string | null;
  displayName: string | null;
  passwordHash: string | null;
  requestId: number | null;
  createdAt: Date;
  passwordChangedAt: Date | null;
  disabledAt: Date | null;
}

function toAccount(row: LocalAccountRow): LocalAccount {
  return {
    localpart: row.localpart,
    email: row.email,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    requestId: row.request_id,
    createdAt: row.created_at,
    passwordChangedAt: row.password_changed_at,
    disabledAt: row.disabled_at,
  };
}

/** Creates the account; an existing one for the same request is left as it is (a retried provisioning). */
export async function createLocalAccount(
  db: Kysely<Database>,
  account: {
    localpart: string;
    email: string | null;
    displayName: string | null;
    passwordHash: string | null;
    requestId: number;
    now: Date;
  },
): Promise<{ created: boolean; ownedByRequest: boolean }> {
  const inserted = await db
    .insertInto("local_account")
    .values({
      localpart: account.localpart,
      email: account.email,
      display_name: account.displayName,
      password_hash: account.passwordHash,
      request_id: account.requestId,
      created_at: account.now,
      updated_at: account.now,
      password_changed_at: account.passwordHash ? account.now : null,
    })
    .onConflict((oc) => oc.column("localpart").doNothing())
    .returning("localpart")
    .executeTakeFirst();
  if (inserted) return { created: true, ownedByRequest: true };
  const existing = await db
    .selectFrom("local_account")
    .select("request_id")
    .where("localpart", "=", account.localpart)
    .executeTakeFirst();
  return { created: false, ownedByRequest: existing?.request_id === account.requestId };
}

export async function findLocalAccount(
  db: Kysely<Database>,
  localpart: string,
): Promise<LocalAccount | null> {
  const row = await db
    .selectFrom("local_account")
    .selectAll()
    .where("localpart", "=", localpart)
    .executeTakeFirst();
  return row ? toAccount(row) : null;
}

export async function setLocalPassword(
  db: Kysely<Database>,
  localpart: string,
  passwordHash: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable("local_account")
    .set({ password_hash: passwordHash, password_changed_at: now, updated_at: now })
    .where("localpart", "=", localpart)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setLocalAccountDisabled(
  db: Kysely<Database>,
  localpart: string,
  disabled: boolean,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable("local_account")
    .set({ disabled_at: disabled ? now : null, updated_at: now })
    .where("localpart", "=", localpart)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listLocalAccounts(
  db: Kysely<Database>,
  options: { limit: number; offset: number },
): Promise<LocalAccount[]> {
  const rows = await db
    .selectFrom("local_account")
    .selectAll()
    .orderBy("localpart")
    .limit(options.limit)
    .offset(options.offset)
    .execute();
  return rows.map(toAccount);
}

/** Rehash after a successful login with outdated limits (only if the hash did not change meanwhile). */
export async function replaceLocalPasswordHash(
  db: Kysely<Database>,
  localpart: string,
  oldHash: string,
  newHash: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable("local_account")
    .set({ password_hash: newHash, updated_at: now })
    .where("localpart", "=", localpart)
    .where("password_hash", "=", oldHash)
    .execute();
}
