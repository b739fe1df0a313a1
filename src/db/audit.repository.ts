// Audit rows for events that are not state transitions (a password set through a link, moderation changes). Takes
// the database or a transaction: a change and its audit row belong in one transaction.
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

export async function appendAudit(
  db: Kysely<Database> | Transaction<Database>,
  entry: {
    requestId: number | null;
    actor: string;
    action: string;
    detail?: Record<string, unknown>;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto("audit_log")
    .values({
      request_id: entry.requestId,
      actor: entry.actor,
      action: entry.action,
      detail: JSON.stringify(entry.detail ?? {}),
      created_at: entry.now,
    })
    .execute();
}
