// The bot's own durable state: sync position, device, direct-message rooms, events it has handled.
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

export async function getBotState<T>(db: Kysely<Database>, key: string): Promise<T | undefined> {
  const row = await db.selectFrom("bot_state").select("value").where("key", "=", key).executeTakeFirst();
  return row ? (row.value as T) : undefined;
}

export async function setBotState(
  db: Kysely<Database> | Transaction<Database>,
  key: string,
  value: unknown,
  now: Date,
): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto("bot_state")
    .values({ key, value: json, updated_at: now })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: json, updated_at: now }))
    .execute();
}

/** Marks an event handled; false when it already was. For commands that change nothing but answer. */
export async function claimHandledEvent(db: Kysely<Database>, eventId: string, now: Date): Promise<boolean> {
  const row = await db
    .insertInto("bot_handled_event")
    .values({ event_id: eventId, handled_at: now })
    .onConflict((oc) => oc.column("event_id").doNothing())
    .returning("event_id")
    .executeTakeFirst();
  return row !== undefined;
}

export interface PendingForReminder {
  id: number;
  localpart: string;
  verifiedAt: Date;
}

export async function pendingSince(db: Kysely<Database>, before: Date): Promise<PendingForReminder[]> {
  const rows = await db
    .selectFrom("registration_request")
    .select(["id", "localpart", "verified_at"])
    .where("state", "=", "pending")
    .where("verified_at", "<", before)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ id: r.id, localpart: r.localpart, verifiedAt: r.verified_at! }));
}

/** Requests that reached pending but whose room message was never attached (e.g. the room was unreachable). */
export async function requestsWithoutRoomMessage(db: Kysely<Database>): Promise<number[]> {
  const rows = await db
    .selectFrom("registration_request")
    .select("id")
    .where("state", "=", "pending")
    .where("room_event_id", "is", null)
    .execute();
  return rows.map((r) => r.id);
}

// Permissions moved to permission.repository.ts; re-exported for the bot until it uses src/moderation.
// TODO(issue 11): drop these re-exports when src/bot no longer imports them from here.
export {
  addPermission,
  isAllowed,
  listPermissions,
  removePermission,
  type Permission,
} from "./permission.repository.ts";
