// Bans on IPs/CIDRs, email addresses, email domains and username patterns, shared by every instance.
import type { Kysely } from "kysely";
import type { Ban, BanKind } from "../registration/policy.ts";
import type { Database } from "./schema.ts";

export interface BanRecord extends Ban {
  createdBy: string;
  createdAt: Date;
}

export async function activeBans(db: Kysely<Database>, now: Date): Promise<BanRecord[]> {
  const rows = await db
    .selectFrom("ban")
    .selectAll()
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .orderBy("id")
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    value: r.value,
    reason: r.reason,
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
  }));
}

export async function listBans(
  db: Kysely<Database>,
  options: { includeExpired: boolean; now: Date },
): Promise<BanRecord[]> {
  let query = db.selectFrom("ban").selectAll().orderBy("id");
  if (!options.includeExpired)
    query = query.where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", options.now)]));
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    value: r.value,
    reason: r.reason,
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
  }));
}

/** Adds a ban; an existing ban of the same kind and value is updated (reason, expiry) instead. */
export async function addBan(
  db: Kysely<Database>,
  ban: {
    kind: BanKind;
    value: string;
    reason: string | null;
    expiresAt: Date | null;
    createdBy: string;
    now: Date;
  },
): Promise<{ id: number; created: boolean }> {
  const existing = await db
    .selectFrom("ban")
    .select("id")
    .where("kind", "=", ban.kind)
    .where("value", "=", ban.value)
    .executeTakeFirst();
  const row = await db
    .insertInto("ban")
    .values({
      kind: ban.kind,
      value: ban.value,
      reason: ban.reason,
      expires_at: ban.expiresAt,
      created_by: ban.createdBy,
      created_at: ban.now,
    })
    .onConflict((oc) =>
      oc
        .columns(["kind", "value"])
        .doUpdateSet({ reason: ban.reason, expires_at: ban.expiresAt, created_by: ban.createdBy }),
    )
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: row.id, created: !existing };
}

/** Removes bans by id, or by kind + value. Returns how many went. */
export async function removeBan(
  db: Kysely<Database>,
  target: { id: number } | { kind: BanKind; value: string },
): Promise<number> {
  const query =
    "id" in target
      ? db.deleteFrom("ban").where("id", "=", target.id)
      : db.deleteFrom("ban").where("kind", "=", target.kind).where("value", "=", target.value);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}
