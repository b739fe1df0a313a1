// Audit rows for events that are not state transitions (a password set through a link, a login to the portal).
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export async function appendAudit(
  db: Kysely<Database>,
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
