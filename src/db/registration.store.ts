// The registration store: all SQL the domain's transitions need. Row types end here; the domain gets its own types.
import { sql, type Kysely, type Transaction } from "kysely";
import type {
  InsertRequestResult,
  NewRequest,
  RegistrationStore,
  RegistrationTx,
  RequestPatch,
  SecretPurpose,
  SecretTokenRecord,
} from "../registration/ports.ts";
import type { SideEffect } from "../registration/side-effects.ts";
import { parseEmailAddress } from "../registration/policy.ts";
import {
  parseLocalpart,
  parseRequestId,
  parseUserId,
  type AuditEntry,
  type RegistrationRequest,
  type RequestId,
  type RequestState,
  type Vote,
} from "../registration/types.ts";
import { OUTBOX_CHANNEL } from "./outbox.repository.ts";
import type { Database, RequestRow, RequestUpdate, VoteRow } from "./schema.ts";

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * A stored value that does not parse was written by something other than Vestibule (a hand edit, a bug): that is
 * broken infrastructure, not an outcome, so it throws instead of travelling on unbranded.
 */
function stored<T>(parsed: T | undefined, what: string, value: unknown): T {
  if (parsed === undefined) throw new Error(`the database holds an invalid ${what}: ${String(value)}`);
  return parsed;
}

function storedRequestId(value: number): RequestId {
  return stored(parseRequestId(value), "request id", value);
}

function storedOptionalRequestId(value: number | null): RequestId | null {
  return value === null ? null : storedRequestId(value);
}

export function toRequest(row: RequestRow): RegistrationRequest {
  return {
    id: storedRequestId(row.id),
    state: row.state,
    localpart: stored(parseLocalpart(row.localpart), "localpart", row.localpart),
    email: row.email === null ? null : stored(parseEmailAddress(row.email), "email address", row.email),
    firstName: row.first_name,
    lastName: row.last_name,
    note: row.note,
    locale: row.locale === "de" ? "de" : "en",
    clientIp: row.client_ip,
    hasPassword: row.password_ciphertext !== null,
    origin: row.origin,
    inviteToken: row.invite_token,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    verifiedAt: row.verified_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    decisionReason: row.decision_reason,
    provisionedAt: row.provisioned_at,
    failedAt: row.failed_at,
    failureReason: row.failure_reason,
    userId: row.user_id === null ? null : stored(parseUserId(row.user_id), "user id", row.user_id),
    roomId: row.room_id,
    roomEventId: row.room_event_id,
    scrubbedAt: row.scrubbed_at,
  };
}

function toVote(row: VoteRow): Vote {
  return {
    requestId: storedRequestId(row.request_id),
    voter: row.voter,
    decision: row.decision,
    source: row.source,
    eventId: row.event_id,
    reason: row.reason,
    createdAt: row.created_at,
  };
}

function toPatch(patch: RequestPatch, now: Date): RequestUpdate {
  const update: RequestUpdate = { updated_at: now };
  if (patch.state !== undefined) update.state = patch.state;
  if (patch.verifiedAt !== undefined) update.verified_at = patch.verifiedAt;
  if (patch.decidedAt !== undefined) update.decided_at = patch.decidedAt;
  if (patch.decidedBy !== undefined) update.decided_by = patch.decidedBy;
  if (patch.decisionReason !== undefined) update.decision_reason = patch.decisionReason;
  if (patch.provisionedAt !== undefined) update.provisioned_at = patch.provisionedAt;
  if (patch.failedAt !== undefined) update.failed_at = patch.failedAt;
  if (patch.failureReason !== undefined) update.failure_reason = patch.failureReason;
  if (patch.userId !== undefined) update.user_id = patch.userId;
  if (patch.passwordCiphertext !== undefined) update.password_ciphertext = null;
  if (patch.roomId !== undefined) update.room_id = patch.roomId;
  if (patch.roomEventId !== undefined) update.room_event_id = patch.roomEventId;
  return update;
}

/** The outbox row for a side effect: the kind, the JSON payload, and a sealed secret kept out of the JSON. */
export function outboxRowFor(requestId: RequestId | null, effect: SideEffect, now: Date) {
  const { kind, ...rest } = effect;
  let secret: Uint8Array | null = null;
  if (effect.kind === "email" && effect.sealedSecret) {
    secret = effect.sealedSecret;
    delete (rest as { sealedSecret?: Uint8Array }).sealedSecret;
  }
  return {
    kind,
    request_id: requestId,
    payload: JSON.stringify(rest),
    secret,
    next_attempt_at: now,
    created_at: now,
  };
}

export async function getRequestById(db: Executor, id: RequestId): Promise<RegistrationRequest | null> {
  const row = await db.selectFrom("registration_request").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toRequest(row) : null;
}

function secretRecord(row: {
  purpose: SecretPurpose;
  request_id: number | null;
  subject: string | null;
  created_at: Date;
  expires_at: Date | null;
  used_at: Date | null;
}): SecretTokenRecord {
  return {
    purpose: row.purpose,
    requestId: storedOptionalRequestId(row.request_id),
    subject: row.subject,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

function createTx(trx: Transaction<Database>, state: { enqueued: boolean }): RegistrationTx {
  return {
    async lockRequest(id) {
      const row = await trx
        .selectFrom("registration_request")
        .selectAll()
        .where("id", "=", id)
        .forUpdate()
        .executeTakeFirst();
      return row ? toRequest(row) : null;
    },

    async insertRequest(input: NewRequest, now: Date): Promise<InsertRequestResult> {
      // ON CONFLICT DO NOTHING covers both partial unique indexes without aborting the transaction.
      const row = await trx
        .insertInto("registration_request")
        .values({
          state: "unverified",
          localpart: input.localpart,
          email: input.email,
          email_key: input.emailIsExclusive ? input.email : null,
          first_name: input.firstName,
          last_name: input.lastName,
          note: input.note,
          locale: input.locale,
          client_ip: input.clientIp,
          password_ciphertext: input.passwordCiphertext,
          origin: input.origin,
          invite_token: input.inviteToken,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) return { ok: true, request: toRequest(row) };
      const clash = await trx
        .selectFrom("registration_request")
        .select("id")
        .where("localpart", "=", input.localpart)
        .where("state", "<>", "declined")
        .executeTakeFirst();
      return { ok: false, conflict: clash ? "localpart" : "email" };
    },

    async updateRequest(id, patch, now) {
      const row = await trx
        .updateTable("registration_request")
        .set(toPatch(patch, now))
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRequest(row);
    },

    async lockSecretToken(hash) {
      const row = await trx
        .selectFrom("secret_token")
        .selectAll()
        .where("hash", "=", hash)
        .forUpdate()
        .executeTakeFirst();
      return row ? secretRecord(row) : null;
    },

    async markSecretTokenUsed(hash, now) {
      await trx.updateTable("secret_token").set({ used_at: now }).where("hash", "=", hash).execute();
    },

    async invalidateSecretTokens(requestId, purpose, now) {
      const result = await trx
        .updateTable("secret_token")
        .set({ used_at: now })
        .where("request_id", "=", requestId)
        .where("purpose", "=", purpose)
        .where("used_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async listVotes(requestId) {
      const rows = await trx
        .selectFrom("vote")
        .selectAll()
        .where("request_id", "=", requestId)
        .orderBy("created_at")
        .execute();
      return rows.map(toVote);
    },

    async upsertVote(vote, now) {
      await trx
        .insertInto("vote")
        .values({
          request_id: vote.requestId,
          voter: vote.voter,
          decision: vote.decision,
          source: vote.source,
          event_id: vote.eventId,
          reason: vote.reason,
          created_at: now,
        })
        .onConflict((oc) =>
          oc.columns(["request_id", "voter"]).doUpdateSet({
            decision: vote.decision,
            source: vote.source,
            event_id: vote.eventId,
            reason: vote.reason,
            created_at: now,
          }),
        )
        .execute();
    },

    async deleteVote(requestId, voter, eventId) {
      let query = trx.deleteFrom("vote").where("request_id", "=", requestId).where("voter", "=", voter);
      if (eventId !== undefined) query = query.where("event_id", "=", eventId);
      const row = await query.returningAll().executeTakeFirst();
      return row ? toVote(row) : null;
    },

    async audit(entry, now) {
      await trx
        .insertInto("audit_log")
        .values({
          request_id: entry.requestId,
          actor: entry.actor,
          action: entry.action,
          detail: JSON.stringify(entry.detail ?? {}),
          created_at: now,
        })
        .execute();
    },

    async enqueue(requestId, effect, now) {
      await trx
        .insertInto("outbox")
        .values(outboxRowFor(requestId, effect, now))
        .execute();
      state.enqueued = true;
    },

    async claimEvent(eventId) {
      const row = await trx
        .insertInto("bot_handled_event")
        .values({ event_id: eventId, handled_at: new Date() })
        .onConflict((oc) => oc.column("event_id").doNothing())
        .returning("event_id")
        .executeTakeFirst();
      return row !== undefined;
    },

    async liveHomeserverTokens(requestId) {
      const rows = await trx
        .selectFrom("homeserver_token")
        .select("token")
        .where("request_id", "=", requestId)
        .where("deleted_at", "is", null)
        .execute();
      return rows.map((r) => r.token);
    },
  };
}

/**
 * Called after every committed transaction that queued side effects, so the outbox worker starts at once instead
 * of at its next scheduled run.
 */
export type CommitListener = () => void;

export function createRegistrationStore(db: Kysely<Database>, onCommit?: CommitListener): RegistrationStore {
  return {
    async transaction(work) {
      const state = { enqueued: false };
      const result = await db.transaction().execute(async (trx) => {
        const value = await work(createTx(trx, state));
        // Delivered at commit, to every instance listening (PostgreSQL); nothing if the transaction rolls back.
        if (state.enqueued) await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
        return value;
      });
      if (state.enqueued) onCommit?.();
      return result;
    },

    getRequest: (id) => getRequestById(db, id),

    async findRequestByRoomEvent(eventId) {
      const row = await db
        .selectFrom("registration_request")
        .selectAll()
        .where("room_event_id", "=", eventId)
        .executeTakeFirst();
      return row ? toRequest(row) : null;
    },

    async listRequests(filter) {
      let query = db.selectFrom("registration_request").selectAll();
      if (filter.states && filter.states.length > 0) query = query.where("state", "in", filter.states);
      if (filter.search && filter.search.trim() !== "") {
        const term = `%${escapeLike(filter.search.trim().toLowerCase())}%`;
        query = query.where((eb) =>
          eb.or([
            eb("localpart", "like", term),
            eb(sql<string>`lower(coalesce(email, ''))`, "like", term),
            eb(sql<string>`lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))`, "like", term),
          ]),
        );
      }
      const rows = await query
        .orderBy("id", "desc")
        .limit(filter.limit ?? 100)
        .offset(filter.offset ?? 0)
        .execute();
      return rows.map(toRequest);
    },

    async listVotes(requestId) {
      const rows = await db
        .selectFrom("vote")
        .selectAll()
        .where("request_id", "=", requestId)
        .orderBy("created_at")
        .execute();
      return rows.map(toVote);
    },

    async auditTrail(requestId) {
      const rows = await db
        .selectFrom("audit_log")
        .selectAll()
        .where("request_id", "=", requestId)
        .orderBy("id")
        .execute();
      return rows.map((row): AuditEntry => ({
        id: row.id,
        requestId: storedOptionalRequestId(row.request_id),
        actor: row.actor,
        action: row.action,
        detail: row.detail,
        createdAt: row.created_at,
      }));
    },

    async getSecretToken(hash) {
      const row = await db.selectFrom("secret_token").selectAll().where("hash", "=", hash).executeTakeFirst();
      return row ? secretRecord(row) : null;
    },

    async findVoteByEvent(eventId) {
      const row = await db.selectFrom("vote").selectAll().where("event_id", "=", eventId).executeTakeFirst();
      return row ? toVote(row) : null;
    },
  };
}

/** Escapes LIKE wildcards so a search for `%` or `_` matches those characters, not everything. */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export type { RequestState };
