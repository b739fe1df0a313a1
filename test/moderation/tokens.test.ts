// Invitations through the moderation core, on both databases, against an in-memory registration-token API (the
// real Synapse is used by test/cli/tokens.test.ts and the portal test).
import { expect, it } from "vitest";
import { createInvite, deleteInvites, listInvites, showInvite } from "../../src/moderation/tokens.ts";
import type { Actor } from "../../src/registration/types.ts";
import { auditRows, expectAuditRow } from "../support/audit.ts";
import { describeEachDatabase } from "../support/database.ts";
import { memoryTokenApi, testModerationDeps, uid } from "../support/moderation.ts";

const cli: Actor = { kind: "cli", name: "tester" };
const mod: Actor = { kind: "moderator", userId: uid("@mod:example.org") };

describeEachDatabase("moderation: invitations", (database) => {
  it("creates with defaults and options, records who made it, and writes token_created", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const deps = testModerationDeps(database().db, { clock: () => now });
    const one = await createInvite(deps, cli, {});
    expect(one).toMatchObject({
      ok: true,
      invite: { usesAllowed: 1, expiryTime: now.getTime() + 7 * 86_400_000, createdBy: "cli:tester" },
    });
    if (!one.ok) return;
    expect(one.invite.token).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(one.invite.inviteUrl).toBe(`https://join.example.org/invite/${one.invite.token}`);
    await expectAuditRow(database().db, {
      action: "token_created",
      actor: "cli:tester",
      detail: { token: one.invite.token, usesAllowed: 1, expiresAt: "2030-01-08T00:00:00.000Z", note: null },
    });

    const many = await createInvite(deps, mod, { uses: "unlimited", expires: "never", note: "book club" });
    expect(many).toMatchObject({
      ok: true,
      invite: { usesAllowed: null, expiryTime: null, note: "book club" },
    });
    await expectAuditRow(database().db, {
      action: "token_created",
      actor: "@mod:example.org",
      detail: { usesAllowed: null, expiresAt: null, note: "book club" },
    });
  });

  it("refuses bad input before asking the homeserver, and says when no admin token is configured", async () => {
    const api = memoryTokenApi();
    const deps = testModerationDeps(database().db, { homeserver: api });
    for (const [input, field] of [
      [{ uses: "0" }, "uses"],
      [{ uses: "many" }, "uses"],
      [{ uses: 1_000_001 }, "uses"],
      [{ expires: "tomorrow" }, "expires"],
      [{ note: "x".repeat(501) }, "note"],
    ] as const) {
      expect(await createInvite(deps, cli, input), JSON.stringify(input)).toMatchObject({
        reason: "invalid",
        field,
      });
    }
    expect(api.tokens.size).toBe(0);
    const none = testModerationDeps(database().db, { homeserver: null });
    expect(await createInvite(none, cli, {})).toEqual({ ok: false, reason: "not_configured" });
    expect(await listInvites(none)).toEqual({ ok: false, reason: "not_configured" });
    expect(await showInvite(deps, { token: "a b" })).toMatchObject({ field: "token" });
    expect(await deleteInvites(deps, cli, { tokens: [] })).toMatchObject({ field: "token" });
  });

  it("a homeserver failure on create is thrown and records nothing", async () => {
    const api = memoryTokenApi();
    api.createRegistrationToken = () => Promise.reject(new Error("homeserver down"));
    const deps = testModerationDeps(database().db, { homeserver: api });
    const before = (await auditRows(database().db, { action: "token_created" })).length;
    await expect(createInvite(deps, cli, {})).rejects.toThrow("homeserver down");
    expect((await auditRows(database().db, { action: "token_created" })).length).toBe(before);
  });

  it("shows, lists and deletes; token_deleted for each token that existed; delete-all leaves other tokens", async () => {
    const api = memoryTokenApi();
    const deps = testModerationDeps(database().db, { homeserver: api });
    const a = await createInvite(deps, cli, {});
    const b = await createInvite(deps, cli, {});
    if (!a.ok || !b.ok) throw new Error("setup failed");
    await api.createRegistrationToken({ token: "external-token", usesAllowed: 1 });

    expect(await showInvite(deps, { token: a.invite.token })).toMatchObject({
      ok: true,
      invite: { purpose: "invite" },
    });
    expect(await showInvite(deps, { token: "nosuchtoken" })).toEqual({ ok: false, reason: "not_found" });
    const listed = await listInvites(deps, { valid: true });
    expect(listed.ok && listed.invites.find((t) => t.token === "external-token")?.purpose).toBe("external");

    expect(await deleteInvites(deps, mod, { tokens: [a.invite.token, "nosuchtoken"] })).toEqual({
      ok: true,
      deleted: [a.invite.token],
      missing: ["nosuchtoken"],
    });
    await expectAuditRow(database().db, {
      action: "token_deleted",
      actor: "@mod:example.org",
      detail: { token: a.invite.token },
    });
    expect(
      (await auditRows(database().db, { action: "token_deleted" })).some(
        (r) => r.detail["token"] === "nosuchtoken",
      ),
    ).toBe(false);

    expect(await deleteInvites(deps, cli, { allInvites: true })).toEqual({
      ok: true,
      deleted: [b.invite.token],
      missing: [],
    });
    expect(api.tokens.has("external-token")).toBe(true);
  });
});
