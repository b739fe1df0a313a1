// Data retention (registration.retention): what is deleted or stripped of personal data, and when. All of it runs
// in one transaction, so a dry run is the same code rolled back — it reports exactly what a real run would do.
import { sql, type Kysely, type Transaction } from "kysely";
import { OUTBOX_CHANNEL } from "./outbox.repository.ts";
import { outboxRowFor } from "./registration.store.ts";
import type { Database } from "./schema.ts";

export interface RetentionPolicy {
  /** Unverified requests are deleted this long after submission. */
  unverifiedHours: number;
  /** Declined, provisioned and failed requests lose their personal data this long after the decision. */
  decidedDays: number;
}

export interface RetentionSummary {
  /** Unverified requests deleted (with their tokens, outbox rows and audit rows). */
  unverifiedRequestsDeleted: number;
  /** Decided requests whose email, names, note, IP and ciphertext were removed. */
  requestsScrubbed: number;
  /** Expired secret tokens (verification, set-password, registration links, admin logins) deleted. */
  expiredTokensDeleted: number;
  /** Registration tokens of expired approvals queued for deletion on the homeserver. */
  homeserverTokensQueued: number;
  /** Finished outbox rows deleted (they hold addresses and names). */
  outboxRowsDeleted: number;
  /** Old rate-limit windows and handled-event records deleted. */
  housekeepingRowsDeleted: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Finished outbox rows are kept this long for inspection, then deleted. */
const FINISHED_OUTBOX_KEEP_MS = 7 * DAY;
/** Rate-limit windows older than this cannot matter any more (the longest window is well below it). */
const RATE_LIMIT_KEEP_MS = 2 * DAY;
/** The bot needs handled-event ids only for events it could still see again. */
const HANDLED_EVENT_KEEP_MS = 30 * DAY;

async function applyRetention(
  trx: Transaction<Database>,
  policy: RetentionPolicy,
  now: Date,
): Promise<RetentionSummary> {
  const unverifiedBefore = new Date(now.getTime() - policy.unverifiedHours * HOUR);
  const decidedBefore = new Date(now.getTime() - policy.decidedDays * DAY);

  // Unverified requests: the whole request goes. Tokens, votes and outbox rows cascade; audit rows have no foreign
  // key (they outlive scrubbing), so they are deleted explicitly.
  const stale = await trx
    .selectFrom("registration_request")
    .select("id")
    .where("state", "=", "unverified")
    .where("created_at", "<", unverifiedBefore)
    .execute();
  const staleIds = stale.map((r) => r.id);
  if (staleIds.length > 0) {
    await trx.deleteFrom("audit_log").where("request_id", "in", staleIds).execute();
    await trx.deleteFrom("registration_request").where("id", "in", staleIds).execute();
  }

  // Decided requests: keep the minimal trail (id, state, localpart, decision, moderator, timestamps, audit rows);
  // remove what identifies the applicant.
  const decidedAt = sql<Date>`case state when 'provisioned' then provisioned_at when 'failed' then failed_at else decided_at end`;
  const toScrub = await trx
    .selectFrom("registration_request")
    .select("id")
    .where("state", "in", ["declined", "provisioned", "failed"])
    .where("scrubbed_at", "is", null)
    .where(decidedAt, "<", decidedBefore)
    .execute();
  const scrubIds = toScrub.map((r) => r.id);
  if (scrubIds.length > 0) {
    await trx
      .updateTable("registration_request")
      .set({
        email: null,
        email_key: null,
        first_name: null,
        last_name: null,
        note: null,
        client_ip: null,
        password_ciphertext: null,
        scrubbed_at: now,
      })
      .where("id", "in", scrubIds)
      .execute();
    // Status links and any other token of these requests have nothing left to show.
    await trx.deleteFrom("secret_token").where("request_id", "in", scrubIds).execute();
    // Outbox rows carry addresses and names in their payloads; unfinished ones would now have nobody to go to.
    await trx.deleteFrom("outbox").where("request_id", "in", scrubIds).execute();
  }

  const expired = await trx.deleteFrom("secret_token").where("expires_at", "<", now).executeTakeFirst();

  // Registration tokens Vestibule created for approvals that expired unused: delete them on the homeserver, through
  // the outbox so an unreachable homeserver only delays it. Skip tokens whose deletion is already queued.
  const expiredTokens = await trx
    .selectFrom("homeserver_token")
    .select(["token", "request_id"])
    .where("purpose", "=", "approval")
    .where("deleted_at", "is", null)
    .where("expires_at", "<", now)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("outbox")
            .select(sql`1`.as("one"))
            .where("kind", "=", "homeserver.delete_token")
            .where("completed_at", "is", null)
            .where("dead_at", "is", null)
            .where(sql<string>`payload->>'token'`, "=", sql<string>`homeserver_token.token`),
        ),
      ),
    )
    .execute();
  for (const row of expiredTokens) {
    await trx
      .insertInto("outbox")
      // Not tied to the request: scrubbing the request later must not drop the pending deletion.
      .values(outboxRowFor(null, { kind: "homeserver.delete_token", token: row.token }, now))
      .execute();
  }
  if (expiredTokens.length > 0) await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);

  const finished = await trx
    .deleteFrom("outbox")
    .where((eb) =>
      eb.or([
        eb("completed_at", "<", new Date(now.getTime() - FINISHED_OUTBOX_KEEP_MS)),
        eb("dead_at", "<", decidedBefore),
      ]),
    )
    .executeTakeFirst();

  const rateLimits = await trx
    .deleteFrom("rate_limit")
    .where("window_start", "<", new Date(now.getTime() - RATE_LIMIT_KEEP_MS))
    .executeTakeFirst();
  const handled = await trx
    .deleteFrom("bot_handled_event")
    .where("handled_at", "<", new Date(now.getTime() - HANDLED_EVENT_KEEP_MS))
    .executeTakeFirst();

  return {
    unverifiedRequestsDeleted: staleIds.length,
    requestsScrubbed: scrubIds.length,
    expiredTokensDeleted: Number(expired.numDeletedRows),
    homeserverTokensQueued: expiredTokens.length,
    outboxRowsDeleted: Number(finished.numDeletedRows),
    housekeepingRowsDeleted: Number(rateLimits.numDeletedRows) + Number(handled.numDeletedRows),
  };
}

class DryRunRollback extends Error {
  readonly summary: RetentionSummary;
  constructor(summary: RetentionSummary) {
    super("dry run");
    this.summary = summary;
  }
}

/** Applies the retention policy as of `now`; with `dryRun`, reports what it would do and changes nothing. */
export async function runRetention(
  db: Kysely<Database>,
  policy: RetentionPolicy,
  now: Date,
  options: { dryRun?: boolean } = {},
): Promise<RetentionSummary> {
  try {
    return await db.transaction().execute(async (trx) => {
      const summary = await applyRetention(trx, policy, now);
      if (options.dryRun) throw new DryRunRollback(summary);
      return summary;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.summary;
    throw error;
  }
}
