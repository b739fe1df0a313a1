// Retention with a fixed `now`: exactly the rows the policy names are removed, on both databases; a dry run
// reports the same and changes nothing.
import { createHash } from "node:crypto";
import { beforeAll, expect, it } from "vitest";
import { cleanup } from "../../src/jobs/cleanup.ts";
import type { Database } from "../../src/db/schema.ts";
import type { Insertable } from "kysely";
import { describeEachDatabase, type TestDatabase } from "../support/database.ts";

const now = new Date("2026-11-22T12:00:00Z");
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const daysAgo = (d: number) => hoursAgo(d * 24);
const policy = { unverifiedHours: 48, decidedDays: 30 };

type RequestSeed = Partial<Insertable<Database["registration_request"]>> & { localpart: string };

describeEachDatabase("retention cleanup", (getDb) => {
  let db: TestDatabase;
  const ids: Record<string, number> = {};

  async function seed(name: string, row: RequestSeed) {
    const inserted = await db.db
      .insertInto("registration_request")
      .values({
        state: "unverified",
        email: `${row.localpart}@example.org`,
        email_key: `${row.localpart}@example.org`,
        first_name: "First",
        last_name: "Last",
        note: "a note",
        client_ip: "192.0.2.7",
        created_at: now,
        updated_at: now,
        ...row,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    ids[name] = inserted.id;
    await db.db
      .insertInto("audit_log")
      .values({
        request_id: inserted.id,
        actor: "applicant",
        action: "submitted",
        detail: "{}",
        created_at: row.created_at ?? now,
      })
      .execute();
    await db.db
      .insertInto("secret_token")
      .values({
        hash: createHash("sha256").update(`status-${name}`).digest(),
        purpose: "status",
        request_id: inserted.id,
        created_at: now,
      })
      .execute();
    await db.db
      .insertInto("outbox")
      .values({
        kind: "email",
        request_id: inserted.id,
        payload: JSON.stringify({ to: row.email ?? `${row.localpart}@example.org` }),
        created_at: now,
        next_attempt_at: now,
        completed_at: now,
      })
      .execute();
  }

  beforeAll(async () => {
    db = getDb();
    await seed("oldUnverified", { localpart: "old-unverified", created_at: hoursAgo(49) });
    await seed("youngUnverified", { localpart: "young-unverified", created_at: hoursAgo(47) });
    await seed("oldPending", {
      localpart: "old-pending",
      state: "pending",
      created_at: daysAgo(90),
      verified_at: daysAgo(90),
    });
    await seed("oldDeclined", {
      localpart: "old-declined",
      state: "declined",
      created_at: daysAgo(40),
      decided_at: daysAgo(31),
      decided_by: "@mod:localhost",
      decision_reason: "spam",
    });
    await seed("youngDeclined", {
      localpart: "young-declined",
      state: "declined",
      created_at: daysAgo(40),
      decided_at: daysAgo(29),
      decided_by: "@mod:localhost",
    });
    await seed("oldProvisioned", {
      localpart: "old-provisioned",
      state: "provisioned",
      created_at: daysAgo(60),
      decided_at: daysAgo(59),
      provisioned_at: daysAgo(31),
      password_ciphertext: new Uint8Array([1, 2]),
    });
    // Decided long ago but provisioned recently: the clock runs from provisioning.
    await seed("recentlyProvisioned", {
      localpart: "recently-provisioned",
      state: "provisioned",
      created_at: daysAgo(60),
      decided_at: daysAgo(59),
      provisioned_at: daysAgo(2),
    });
    await seed("oldFailed", {
      localpart: "old-failed",
      state: "failed",
      created_at: daysAgo(60),
      decided_at: daysAgo(59),
      failed_at: daysAgo(31),
      failure_reason: "taken",
    });
    await seed("oldApproved", {
      localpart: "old-approved",
      state: "approved",
      created_at: daysAgo(60),
      decided_at: daysAgo(59),
    });

    const token = (label: string) => createHash("sha256").update(label).digest();
    await db.db
      .insertInto("secret_token")
      .values([
        {
          hash: token("expired-link"),
          purpose: "set_password",
          request_id: ids["oldApproved"]!,
          created_at: daysAgo(10),
          expires_at: hoursAgo(1),
        },
        {
          hash: token("live-link"),
          purpose: "set_password",
          request_id: ids["oldApproved"]!,
          created_at: daysAgo(1),
          expires_at: hoursAgo(-1),
        },
        {
          hash: token("expired-admin-login"),
          purpose: "admin_login",
          request_id: null,
          subject: "@mod:localhost",
          created_at: hoursAgo(2),
          expires_at: hoursAgo(1),
        },
      ])
      .execute();
    await db.db
      .insertInto("homeserver_token")
      .values([
        {
          token: "expired-approval",
          purpose: "approval",
          request_id: ids["oldApproved"]!,
          created_by: "system",
          created_at: daysAgo(10),
          expires_at: daysAgo(3),
        },
        {
          token: "live-approval",
          purpose: "approval",
          request_id: ids["oldApproved"]!,
          created_by: "system",
          created_at: daysAgo(1),
          expires_at: daysAgo(-3),
        },
        {
          token: "expired-invite",
          purpose: "invite",
          request_id: null,
          created_by: "@mod:localhost",
          created_at: daysAgo(10),
          expires_at: daysAgo(3),
        },
        {
          token: "already-deleted",
          purpose: "approval",
          request_id: null,
          created_by: "system",
          created_at: daysAgo(10),
          expires_at: daysAgo(3),
          deleted_at: daysAgo(2),
        },
      ])
      .execute();
    await db.db
      .insertInto("rate_limit")
      .values([
        { key: "ip:192.0.2.1", window_start: daysAgo(3), hits: 4 },
        { key: "ip:192.0.2.1", window_start: hoursAgo(1), hits: 2 },
      ])
      .execute();
  });

  async function state() {
    const requests = await db.db.selectFrom("registration_request").selectAll().orderBy("id").execute();
    const tokens = await db.db
      .selectFrom("secret_token")
      .select(["purpose", "request_id", "expires_at"])
      .execute();
    const outbox = await db.db.selectFrom("outbox").select(["kind", "request_id", "payload"]).execute();
    const audit = await db.db.selectFrom("audit_log").select(["request_id"]).execute();
    const rateLimits = await db.db.selectFrom("rate_limit").selectAll().execute();
    return { requests, tokens, outbox, audit, rateLimits };
  }

  it("a dry run reports what would go and changes nothing", async () => {
    const before = await state();
    const summary = await cleanup({ db: db.db, retention: policy }, now, { dryRun: true });
    expect(summary).toEqual({
      unverifiedRequestsDeleted: 1,
      requestsScrubbed: 3,
      expiredTokensDeleted: 2,
      homeserverTokensQueued: 1,
      outboxRowsDeleted: 0,
      housekeepingRowsDeleted: 1,
    });
    expect(await state()).toEqual(before);
  });

  it("removes exactly what the policy says", async () => {
    const summary = await cleanup({ db: db.db, retention: policy }, now);
    expect(summary).toMatchObject({
      unverifiedRequestsDeleted: 1,
      requestsScrubbed: 3,
      homeserverTokensQueued: 1,
    });
    const after = await state();
    const byId = new Map(after.requests.map((r) => [r.id, r]));

    // The old unverified request is gone with its audit rows; the young one stays untouched.
    expect(byId.has(ids["oldUnverified"]!)).toBe(false);
    expect(after.audit.some((a) => a.request_id === ids["oldUnverified"])).toBe(false);
    expect(byId.get(ids["youngUnverified"]!)?.email).toBe("young-unverified@example.org");

    // Decided more than 30 days ago: personal data removed, the trail kept.
    for (const name of ["oldDeclined", "oldProvisioned", "oldFailed"]) {
      const row = byId.get(ids[name]!)!;
      expect(row).toMatchObject({
        email: null,
        email_key: null,
        first_name: null,
        last_name: null,
        note: null,
        client_ip: null,
        password_ciphertext: null,
        scrubbed_at: now,
      });
      expect(row.localpart).toBeTruthy();
      expect(after.audit.some((a) => a.request_id === row.id)).toBe(true);
      expect(after.tokens.some((t) => t.request_id === row.id)).toBe(false);
      expect(after.outbox.some((o) => o.request_id === row.id)).toBe(false);
    }
    expect(byId.get(ids["oldDeclined"]!)).toMatchObject({
      state: "declined",
      decided_by: "@mod:localhost",
      decision_reason: "spam",
    });

    // Not yet due, or not decided: untouched.
    for (const name of ["youngDeclined", "recentlyProvisioned", "oldPending", "oldApproved"]) {
      expect(byId.get(ids[name]!)).toMatchObject({ email: expect.any(String), scrubbed_at: null });
    }

    // Expired links go; live ones stay.
    expect(after.tokens.filter((t) => t.purpose === "set_password")).toHaveLength(1);
    expect(after.tokens.some((t) => t.purpose === "admin_login")).toBe(false);

    // Only the expired approval token is queued for deletion on the homeserver.
    const deletions = after.outbox
      .filter((o) => o.kind === "homeserver.delete_token")
      .map((o) => o.payload["token"]);
    expect(deletions).toEqual(["expired-approval"]);
    expect(after.rateLimits).toHaveLength(1);
  });

  it("a second run finds nothing more to do and does not queue the deletion twice", async () => {
    const summary = await cleanup({ db: db.db, retention: policy }, now);
    expect(summary).toEqual({
      unverifiedRequestsDeleted: 0,
      requestsScrubbed: 0,
      expiredTokensDeleted: 0,
      homeserverTokensQueued: 0,
      outboxRowsDeleted: 0,
      housekeepingRowsDeleted: 0,
    });
  });

  it("finished outbox rows are deleted a week after they finished", async () => {
    const later = new Date(now.getTime() + 8 * 24 * 3_600_000);
    const summary = await cleanup(
      { db: db.db, retention: { unverifiedHours: 10_000, decidedDays: 10_000 } },
      later,
      { dryRun: true },
    );
    const finished = await db.db
      .selectFrom("outbox")
      .select("id")
      .where("completed_at", "is not", null)
      .execute();
    expect(summary.outboxRowsDeleted).toBe(finished.length);
    expect(finished.length).toBeGreaterThan(0);
  });
});
