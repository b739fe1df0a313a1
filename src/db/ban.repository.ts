// Bans on IPs/CIDRs, email addresses, email domains and username patterns, shared by every instance. The functions
// take the database or a transaction; createBanStore() is the moderation core's BanStore over them.
import type { Kysely, Transaction } from "kysely";
import type { BanRecord, BanStore, BanTarget, BanTx } from "../moderation/ports.ts";
import type { BanKind } from "../registration/policy.ts";
import { appendAudit } from "./audit.repository.ts";
import { claimHandledEvent } from "./bot.repository.ts";
import type { BanRow, Database } from "./schema.ts";

export type { BanRecord };

type Executor = Kysely<Database> | Transaction<Database>;

function toBan(r: BanRow): BanRecord {
  return {
    id: r.id,
    kind: r.kind,
    value: r.value,
    reason: r.reason,
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

export async function activeBans(db: Executor, now: Date): Promise<BanRecord[]> {
  return listBans(db, { includeExpired: false, now });
}

export async function listBans(
  db: Executor,
  options: { includeExpired: boolean; now: Date },
): Promise<BanRecord[]> {
  let query = db.selectFrom("ban").selectAll().orderBy("id");
  if (!options.includeExpired)
    query = query.where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", options.now)]));
  return (await query.execute()).map(toBan);
}

/** Adds a ban; an existing ban of the same kind and value is updated (reason, expiry, creator) instead. */
export async function upsertBan(
  db: Executor,
  ban: {
    kind: BanKind;
    value: string;
    reason: string | null;
    expiresAt: Date | null;
    createdBy: string;
    now: Date;
  },
): Promise<{ ban: BanRecord; created: boolean }> {
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
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ban: toBan(row), created: !existing };
}

/**
 * The earlier shape of upsertBan, kept while the old bot commands (src/bot/more.commands.ts) and tests use it.
 * TODO(issue 11): remove once the bot's !ban goes through src/moderation/bans.ts.
 */
export async function addBan(
  db: Executor,
  ban: Parameters<typeof upsertBan>[1],
): Promise<{ id: number; created: boolean }> {
  const { ban: added, created } = await upsertBan(db, ban);
  return { id: added.id, created };
}

/** Removes bans by id, or by kind + value, and returns them. */
export async function deleteBans(db: Executor, target: BanTarget): Promise<BanRecord[]> {
  const query =
    "id" in target
      ? db.deleteFrom("ban").where("id", "=", target.id)
      : db.deleteFrom("ban").where("kind", "=", target.kind).where("value", "=", target.value);
  return (await query.returningAll().execute()).map(toBan);
}

/** Compatibility for the old bot commands: how many bans went. TODO(issue 11): remove with them. */
export async function removeBan(db: Executor, target: BanTarget): Promise<number> {
  return (await deleteBans(db, target)).length;
}

export function createBanStore(db: Kysely<Database>): BanStore {
  const txFor = (trx: Transaction<Database>): BanTx => ({
    upsert: (ban, now) => upsertBan(trx, { ...ban, now }),
    remove: (target) => deleteBans(trx, target),
    audit: (entry, now) => appendAudit(trx, { requestId: null, ...entry, now }),
    claimEvent: (eventId, now) => claimHandledEvent(trx, eventId, now),
  });
  return {
    list: (filter) => listBans(db, filter),
    transaction: (work) => db.transaction().execute((trx) => work(txFor(trx))),
  };
}
