// Registration tokens Vestibule created on the homeserver: who made each one, for what, and who used it.
import type { Kysely, Transaction } from "kysely";
import type { InviteStore, InviteTx, TokenRecord } from "../moderation/ports.ts";
import { appendAudit } from "./audit.repository.ts";
import { claimHandledEvent } from "./bot.repository.ts";
import type { Database, HomeserverTokenRow } from "./schema.ts";

export type { TokenRecord };

type Executor = Kysely<Database> | Transaction<Database>;

function toRecord(row: HomeserverTokenRow, uses: { user_id: string; used_at: Date }[]): TokenRecord {
  return {
    token: row.token,
    purpose: row.purpose,
    requestId: row.request_id,
    createdBy: row.created_by,
    note: row.note,
    usesAllowed: row.uses_allowed,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    deletedAt: row.deleted_at,
    usedBy: uses.map((u) => ({ userId: u.user_id, usedAt: u.used_at })),
  };
}

export async function recordToken(
  db: Executor,
  token: {
    token: string;
    purpose: "approval" | "invite";
    requestId: number | null;
    createdBy: string;
    note: string | null;
    usesAllowed: number | null;
    expiresAt: Date | null;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto("homeserver_token")
    .values({
      token: token.token,
      purpose: token.purpose,
      request_id: token.requestId,
      created_by: token.createdBy,
      note: token.note,
      uses_allowed: token.usesAllowed,
      expires_at: token.expiresAt,
      created_at: token.now,
    })
    .onConflict((oc) => oc.column("token").doNothing())
    .execute();
}

export async function findTokenRecords(
  db: Executor,
  tokens: readonly string[],
): Promise<Map<string, TokenRecord>> {
  if (tokens.length === 0) return new Map();
  const rows = await db.selectFrom("homeserver_token").selectAll().where("token", "in", tokens).execute();
  const uses = await db
    .selectFrom("homeserver_token_use")
    .selectAll()
    .where("token", "in", tokens)
    .orderBy("used_at")
    .execute();
  return new Map(
    rows.map((row) => [
      row.token,
      toRecord(
        row,
        uses.filter((u) => u.token === row.token),
      ),
    ]),
  );
}

export async function markTokenDeleted(db: Executor, token: string, now: Date): Promise<void> {
  await db
    .updateTable("homeserver_token")
    .set({ deleted_at: now })
    .where("token", "=", token)
    .where("deleted_at", "is", null)
    .execute();
}

export async function recordTokenUse(db: Executor, token: string, userId: string, now: Date): Promise<void> {
  const known = await db
    .selectFrom("homeserver_token")
    .select("token")
    .where("token", "=", token)
    .executeTakeFirst();
  if (!known) return;
  await db
    .insertInto("homeserver_token_use")
    .values({ token, user_id: userId, used_at: now })
    .onConflict((oc) => oc.columns(["token", "user_id"]).doNothing())
    .execute();
}

export function createInviteStore(db: Kysely<Database>): InviteStore {
  const txFor = (trx: Transaction<Database>): InviteTx => ({
    record: (token, now) => recordToken(trx, { ...token, requestId: null, now }),
    markDeleted: (token, now) => markTokenDeleted(trx, token, now),
    audit: (entry, now) => appendAudit(trx, { requestId: null, ...entry, now }),
    claimEvent: (eventId, now) => claimHandledEvent(trx, eventId, now),
  });
  return {
    records: (tokens) => findTokenRecords(db, tokens),
    transaction: (work) => db.transaction().execute((trx) => work(txFor(trx))),
  };
}
