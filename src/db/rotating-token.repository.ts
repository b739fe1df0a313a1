// The rotating shared registration token: one row per period, created once even when several instances rotate.
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** The token of the period starting at validFrom, creating it with `generate()` if none exists yet. */
export async function ensureRotatingToken(
  db: Kysely<Database>,
  validFrom: Date,
  generate: () => string,
  now: Date,
): Promise<{ token: string; created: boolean }> {
  const inserted = await db
    .insertInto("rotating_token")
    .values({ valid_from: validFrom, token: generate(), created_at: now })
    .onConflict((oc) => oc.column("valid_from").doNothing())
    .returning("token")
    .executeTakeFirst();
  if (inserted) return { token: inserted.token, created: true };
  const existing = await db
    .selectFrom("rotating_token")
    .select("token")
    .where("valid_from", "=", validFrom)
    .executeTakeFirstOrThrow();
  return { token: existing.token, created: false };
}

export async function findRotatingToken(db: Kysely<Database>, validFrom: Date): Promise<string | null> {
  const row = await db
    .selectFrom("rotating_token")
    .select("token")
    .where("valid_from", "=", validFrom)
    .executeTakeFirst();
  return row?.token ?? null;
}

export async function deleteRotatingTokensBefore(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await db.deleteFrom("rotating_token").where("valid_from", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
