// Assertions on the audit log, shared by the room, portal and CLI tests: a moderation change must leave the same
// row whichever side made it (only the actor differs).
import type { Kysely } from "kysely";
import { expect } from "vitest";
import type { Database } from "../../src/db/schema.ts";

export interface AuditRowView {
  id: number;
  requestId: number | null;
  actor: string;
  action: string;
  detail: Record<string, unknown>;
  createdAt: Date;
}

/** Audit rows, oldest first, optionally of one action and/or actor. */
export async function auditRows(
  db: Kysely<Database>,
  filter: { action?: string; actor?: string } = {},
): Promise<AuditRowView[]> {
  let query = db.selectFrom("audit_log").selectAll().orderBy("id");
  if (filter.action !== undefined) query = query.where("action", "=", filter.action);
  if (filter.actor !== undefined) query = query.where("actor", "=", filter.actor);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    requestId: r.request_id,
    actor: r.actor,
    action: r.action,
    detail: r.detail,
    createdAt: r.created_at,
  }));
}

/**
 * The latest audit row of `action` by `actor` exists and its detail contains `detail` (deep partial match, so a
 * test names the fields it is about). Returns the row.
 */
export async function expectAuditRow(
  db: Kysely<Database>,
  expected: { action: string; actor: string; detail?: Record<string, unknown>; requestId?: number | null },
): Promise<AuditRowView> {
  const rows = await auditRows(db, { action: expected.action });
  const mine = rows.filter((r) => r.actor === expected.actor);
  const latest = mine.at(-1);
  expect(
    latest,
    `no audit row ${expected.action} by ${expected.actor}; rows of that action: ${JSON.stringify(rows.map((r) => [r.actor, r.detail]))}`,
  ).toBeDefined();
  expect(latest!.detail).toMatchObject(expected.detail ?? {});
  if (expected.requestId !== undefined) expect(latest!.requestId).toBe(expected.requestId);
  return latest!;
}
