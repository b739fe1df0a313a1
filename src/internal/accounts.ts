// Local accounts as the internal API sees them: checking a password in constant-looking time, and lookups for
// mxisd/ma1sd. No HTTP here; app.ts translates.
import { sql, type Kysely } from "kysely";
import type { PasswordHasher } from "../crypto/index.ts";
import {
  findLocalAccount,
  replaceLocalPasswordHash,
  type LocalAccount,
} from "../db/local-account.repository.ts";
import { escapeLike } from "../db/registration.store.ts";
import type { Database } from "../db/schema.ts";

export interface AccountDeps {
  db: Kysely<Database>;
  hasher: () => Promise<PasswordHasher>;
  serverName: string;
  clock: () => Date;
}

/** Splits "@local:server" and checks the server is ours; null for anything else. */
export function localpartOf(userId: string, serverName: string): string | null {
  const match = /^@([^:]+):(.+)$/.exec(userId);
  if (!match || match[2] !== serverName) return null;
  return match[1]!.toLowerCase();
}

/**
 * Checks a password. Unknown users, disabled accounts and accounts without a password cost one argon2id
 * verification against a dummy hash, the same as a wrong password, so timing does not reveal which names exist.
 */
export async function checkPassword(
  deps: AccountDeps,
  localpart: string,
  password: string,
): Promise<LocalAccount | null> {
  const hasher = await deps.hasher();
  const account = await findLocalAccount(deps.db, localpart);
  if (!account || account.disabledAt || !account.passwordHash) {
    await hasher.verify(await hasher.dummyHash(), password);
    return null;
  }
  if (!(await hasher.verify(account.passwordHash, password))) return null;
  if (await hasher.needsRehash(account.passwordHash)) {
    // The configured cost changed: upgrade the stored hash now that we know the password.
    await replaceLocalPasswordHash(
      deps.db,
      localpart,
      account.passwordHash,
      await hasher.hash(password),
      deps.clock(),
    );
  }
  return account;
}

/** checkPassword for a full user ID; a foreign or malformed ID costs a dummy verification too. */
export async function checkUserIdPassword(
  deps: AccountDeps,
  userId: string,
  password: string,
): Promise<LocalAccount | null> {
  const localpart = localpartOf(userId, deps.serverName);
  if (localpart === null) {
    const hasher = await deps.hasher();
    await hasher.verify(await hasher.dummyHash(), password);
    return null;
  }
  return checkPassword(deps, localpart, password);
}

export interface DirectoryResult {
  limited: boolean;
  results: { localpart: string; displayName: string | null }[];
}

/** Case-insensitive substring search on localpart and display name, or on the email address. */
export async function searchDirectory(
  db: Kysely<Database>,
  by: "name" | "threepid",
  term: string,
  maxResults: number,
): Promise<DirectoryResult> {
  const pattern = `%${escapeLike(term.toLowerCase())}%`;
  let query = db
    .selectFrom("local_account")
    .select(["localpart", "display_name"])
    .where("disabled_at", "is", null);
  query =
    by === "name"
      ? query.where("search_text", "like", pattern)
      : query.where(sql<string>`lower(coalesce(email, ''))`, "like", pattern);
  // No ORDER BY: with it, a common term would have to collect and sort every match before the limit applies.
  const rows = await query.limit(maxResults + 1).execute();
  return {
    limited: rows.length > maxResults,
    results: rows.slice(0, maxResults).map((r) => ({ localpart: r.localpart, displayName: r.display_name })),
  };
}

/** Email → localpart, for identity lookups (enabled accounts only). */
export async function lookupEmails(
  db: Kysely<Database>,
  addresses: readonly string[],
): Promise<Map<string, string>> {
  if (addresses.length === 0) return new Map();
  const lowered = [...new Set(addresses.map((a) => a.toLowerCase()))];
  const rows = await db
    .selectFrom("local_account")
    .select(["localpart", sql<string>`lower(email)`.as("email")])
    .where(sql<string>`lower(email)`, "in", lowered)
    .where("disabled_at", "is", null)
    .execute();
  return new Map(rows.map((r) => [r.email, r.localpart]));
}
