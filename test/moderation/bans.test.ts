// Bans through the moderation core, on both databases: validation once, the change and its audit row together.
import { expect, it } from "vitest";
import { addBan, liftBan, listBans } from "../../src/moderation/bans.ts";
import type { BanStore } from "../../src/moderation/ports.ts";
import type { Actor } from "../../src/registration/types.ts";
import { auditRows, expectAuditRow } from "../support/audit.ts";
import { describeEachDatabase } from "../support/database.ts";
import { testModerationDeps, uid } from "../support/moderation.ts";

const cli: Actor = { kind: "cli", name: "tester" };
const portal: Actor = { kind: "portal", userId: uid("@mod:example.org") };
const mod: Actor = { kind: "moderator", userId: uid("@mod:example.org") };

describeEachDatabase("moderation: bans", (database) => {
  it("adds a ban with expiry and reason, writes ban_added, and updates the same kind+value instead of doubling", async () => {
    const now = new Date("2026-05-01T12:00:00Z");
    const deps = testModerationDeps(database().db, { clock: () => now });
    const added = await addBan(deps, cli, {
      kind: "Email",
      value: " Eve@Example.org ",
      expires: "30d",
      reason: "spam wave",
    });
    expect(added).toMatchObject({
      ok: true,
      created: true,
      ban: { kind: "email", value: "eve@example.org" },
    });
    if (!added.ok) return;
    expect(added.ban.expiresAt?.toISOString()).toBe("2026-05-31T12:00:00.000Z");
    await expectAuditRow(database().db, {
      action: "ban_added",
      actor: "cli:tester",
      detail: {
        id: added.ban.id,
        kind: "email",
        value: "eve@example.org",
        reason: "spam wave",
        expiresAt: "2026-05-31T12:00:00.000Z",
        created: true,
      },
    });

    const again = await addBan(deps, portal, { kind: "email", value: "eve@example.org", expires: "never" });
    expect(again).toMatchObject({ ok: true, created: false, ban: { id: added.ban.id, expiresAt: null } });
    await expectAuditRow(database().db, {
      action: "ban_added",
      actor: "portal:@mod:example.org",
      detail: { id: added.ban.id, expiresAt: null, reason: null, created: false },
    });
    expect((await listBans(deps)).filter((b) => b.value === "eve@example.org")).toHaveLength(1);
  });

  it("refuses bad input with the field that is wrong, and changes nothing", async () => {
    const deps = testModerationDeps(database().db);
    const before = (await auditRows(database().db)).length;
    const cases = [
      [{ kind: "dns", value: "x" }, "kind"],
      [{ kind: "ip", value: "300.1.1.1" }, "value"],
      [{ kind: "username", value: "(" }, "value"],
      [{ kind: "username", value: "a\u0000b" }, "value"],
      [{ kind: "domain", value: "" }, "value"],
      [{ kind: "domain", value: "ok.example", expires: "soon" }, "expires"],
      [{ kind: "domain", value: "ok.example", expires: "99999999d" }, "expires"],
      [{ kind: "domain", value: "ok.example", reason: "x".repeat(501) }, "reason"],
      [{ kind: "domain", value: "ok.example", reason: "bell\u0007" }, "reason"],
    ] as const;
    for (const [input, field] of cases) {
      const result = await addBan(deps, cli, input);
      expect(result, JSON.stringify(input)).toMatchObject({ ok: false, reason: "invalid", field });
    }
    expect((await auditRows(database().db)).length).toBe(before);
    expect((await listBans(deps)).some((b) => b.value === "ok.example")).toBe(false);
  });

  it("lifts a ban by number or by kind and value, with ban_lifted; an unknown ban is not_found", async () => {
    const deps = testModerationDeps(database().db);
    const a = await addBan(deps, cli, { kind: "ip", value: "192.0.2.0/24" });
    const b = await addBan(deps, cli, { kind: "domain", value: "@spam.test" });
    if (!a.ok || !b.ok) throw new Error("setup failed");
    expect(await liftBan(deps, portal, { id: `#${a.ban.id}` })).toMatchObject({
      ok: true,
      lifted: [{ id: a.ban.id }],
    });
    await expectAuditRow(database().db, {
      action: "ban_lifted",
      actor: "portal:@mod:example.org",
      detail: { id: a.ban.id, kind: "ip", value: "192.0.2.0/24" },
    });
    expect(await liftBan(deps, cli, { kind: "domain", value: "SPAM.test" })).toMatchObject({ ok: true });
    await expectAuditRow(database().db, {
      action: "ban_lifted",
      actor: "cli:tester",
      detail: { value: "spam.test" },
    });
    expect(await liftBan(deps, cli, { id: a.ban.id })).toEqual({ ok: false, reason: "not_found" });
    expect(await liftBan(deps, cli, { id: "x1" })).toMatchObject({ reason: "invalid", field: "id" });
    expect(await liftBan(deps, cli, { id: 0 })).toMatchObject({ reason: "invalid", field: "id" });
    expect(await liftBan(deps, cli, { kind: "ip", value: "nope" })).toMatchObject({ field: "value" });
  });

  it("lists expired bans only when asked", async () => {
    let now = new Date("2026-06-01T00:00:00Z");
    const deps = testModerationDeps(database().db, { clock: () => now });
    const added = await addBan(deps, cli, { kind: "username", value: "^shortlived", expires: "1h" });
    if (!added.ok) throw new Error("setup failed");
    now = new Date("2026-06-01T02:00:00Z");
    expect((await listBans(deps)).map((b) => b.id)).not.toContain(added.ban.id);
    expect((await listBans(deps, { includeExpired: true })).map((b) => b.id)).toContain(added.ban.id);
  });

  it("claims the asking event in the ban's transaction: a replay bans nothing twice and writes no second audit row", async () => {
    const deps = testModerationDeps(database().db);
    const eventId = `$ban-${Math.random().toString(36).slice(2)}`;
    const input = { kind: "domain", value: "replayed.example", expires: "30d", handledEventId: eventId };
    const first = await addBan(deps, mod, input);
    expect(first).toMatchObject({ ok: true, created: true });
    expect(await addBan(deps, mod, input)).toEqual({ ok: false, reason: "duplicate" });
    const rows = (await auditRows(database().db)).filter(
      (r) => r.action === "ban_added" && (r.detail as { value?: string }).value === "replayed.example",
    );
    expect(rows).toHaveLength(1);
  });

  it("a failing audit write takes the ban with it (one transaction)", async () => {
    const real = testModerationDeps(database().db);
    const failingAudit: BanStore = {
      list: (filter) => real.bans.list(filter),
      transaction: (work) =>
        real.bans.transaction((tx) =>
          work({
            upsert: (ban, now) => tx.upsert(ban, now),
            remove: (target) => tx.remove(target),
            audit: () => Promise.reject(new Error("audit table unavailable")),
            claimEvent: (eventId, now) => tx.claimEvent(eventId, now),
          }),
        ),
    };
    const deps = { ...real, bans: failingAudit };
    await expect(addBan(deps, cli, { kind: "domain", value: "atomic.example" })).rejects.toThrow(
      "audit table",
    );
    expect((await listBans(real)).some((b) => b.value === "atomic.example")).toBe(false);
  });
});
