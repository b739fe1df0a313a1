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
import type { LoginGuard } from "./login-guard.ts";

export interface AccountDeps {
  db: Kysely<Database>;
  hasher: () => Promise<PasswordHasher>;
  serverName: string;
  clock: () => Date;
  guard: LoginGuard;
}

/** Splits "@local:server" and checks the server is ours; null for anything else. */
export function localpartOf(userId: string, serverName: string): string | null {
  const match = /^@([^:]+):(.+)$/.exec(userId);
  if (!match || match[2] !== serverName) return null;
  return match[1]!.toLowerCase();
}

/**
 * Checks a password under the login guard (login-guard.ts): bounded hashing, throttled failures, and no hashing at
 * all for unknown users, disabled accounts and accounts without a password — they wait a decoy delay as long as a
 * recent real verification, so timing does not reveal which names exist. `source` is the calling server's
 * address.
 */
export async function checkPassword(
  deps: AccountDeps,
  localpart: string,
  password: string,
  source: string,
): Promise<LocalAccount | null> {
  const checked = await deps.guard.check({ account: localpart, source }, async () => {
    const account = await findLocalAccount(deps.db, localpart);
    if (!account || account.disabledAt || !account.passwordHash) return { kind: "absent" as const };
    const hash = account.passwordHash;
    return {
      kind: "verify" as const,
      run: async () => ((await (await deps.hasher()).verify(hash, password)) ? account : null),
    };
  });
  const account = checked.value;
  if (account?.passwordHash) {
    const hasher = await deps.hasher();
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
  }
  return account;
}

/** checkPassword for a full user ID; a foreign or malformed ID is an absent account (the same decoy delay). */
export async function checkUserIdPassword(
  deps: AccountDeps,
  userId: string,
  password: string,
  source: string,
): Promise<LocalAccount | null> {
  const localpart = localpartOf(userId, deps.serverName);
  if (localpart === null) {
    await deps.guard.check({ account: userId.toLowerCase(), source }, () =>
      Promise.resolve({ kind: "absent" as const }),
    );
    return null;
  }
  return checkPassword(deps, localpart, password, source);
}

export interface DirectoryResult {
  limited: boolean;
  results: { localpart: string; displayName: string | null }[];
}

/**
 * By name: case-insensitive substring search on localpart and display name. By threepid: the exact address (case
 * ignored) — a substring search there would let any user read other users' addresses letter by letter.
 */
export async function searchDirectory(
  db: Kysely<Database>,
  by: "name" | "threepid",
  term: string,
  maxResults: number,
): Promise<DirectoryResult> {
  let query = db
    .selectFrom("local_account")
    .select(["localpart", "display_name"])
    .where("disabled_at", "is", null);
  query =
    by === "name"
      ? query.where("search_text", "like", `%${escapeLike(term.toLowerCase())}%`)
      : query.where(sql<string>`lower(email)`, "=", term.toLowerCase());
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
