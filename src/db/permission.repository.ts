// Command permissions given with !allow / `vestibule permissions` / the portal (table bot_permission). The subject
// is unique across scopes (the table's key), so a subject holds at most one permission.
import type { Kysely, Transaction } from "kysely";
import { permits } from "../moderation/permissions.ts";
import type { Permission, PermissionScope, PermissionStore, PermissionTx } from "../moderation/ports.ts";
import { appendAudit } from "./audit.repository.ts";
import { claimHandledEvent } from "./bot.repository.ts";
import type { Database } from "./schema.ts";

export type { Permission };

type Executor = Kysely<Database> | Transaction<Database>;

function toPermission(r: {
  subject: string;
  is_pattern: boolean;
  scope: string;
  created_by: string;
  created_at: Date;
}): Permission {
  return {
    subject: r.subject,
    isPattern: r.is_pattern,
    // Only "tokens" has ever been written; the column's default is the same.
    scope: r.scope as PermissionScope,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

export async function listPermissions(db: Executor, scope: string): Promise<Permission[]> {
  const rows = await db
    .selectFrom("bot_permission")
    .selectAll()
    .where("scope", "=", scope)
    .orderBy("created_at")
    .execute();
  return rows.map(toPermission);
}

/** Whether a user was given a right (an exact user ID, or a regular expression). */
export async function isAllowed(db: Executor, userId: string, scope: string): Promise<boolean> {
  return (await listPermissions(db, scope)).some((permission) => permits(permission, userId));
}

/** False when the subject already had a permission. */
export async function addPermission(
  db: Executor,
  permission: { subject: string; isPattern: boolean; scope: string; createdBy: string; now: Date },
): Promise<boolean> {
  const row = await db
    .insertInto("bot_permission")
    .values({
      subject: permission.subject,
      is_pattern: permission.isPattern,
      scope: permission.scope,
      created_by: permission.createdBy,
      created_at: permission.now,
    })
    .onConflict((oc) => oc.column("subject").doNothing())
    .returning("subject")
    .executeTakeFirst();
  return row !== undefined;
}

/** The removed permission, or null. Without `scope`, whatever the subject held. */
export async function deletePermission(
  db: Executor,
  subject: string,
  scope?: string,
): Promise<Permission | null> {
  let query = db.deleteFrom("bot_permission").where("subject", "=", subject);
  if (scope !== undefined) query = query.where("scope", "=", scope);
  const row = await query.returningAll().executeTakeFirst();
  return row ? toPermission(row) : null;
}

/** Compatibility for the old bot commands. TODO(issue 11): remove once !disallow uses src/moderation. */
export async function removePermission(db: Executor, subject: string): Promise<boolean> {
  return (await deletePermission(db, subject)) !== null;
}

export function createPermissionStore(db: Kysely<Database>): PermissionStore {
  const txFor = (trx: Transaction<Database>): PermissionTx => ({
    add: (permission, now) => addPermission(trx, { ...permission, now }),
    remove: (subject, scope) => deletePermission(trx, subject, scope),
    audit: (entry, now) => appendAudit(trx, { requestId: null, ...entry, now }),
    claimEvent: (eventId, now) => claimHandledEvent(trx, eventId, now),
  });
  return {
    list: (scope) => listPermissions(db, scope),
    transaction: (work) => db.transaction().execute((trx) => work(txFor(trx))),
  };
}
