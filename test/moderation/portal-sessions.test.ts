// Portal sign-in links and sessions through the moderation core, on both databases, with scripted rights (our own
// ModeratorRights interface; the real room check is in rights.test.ts and test/features/portal.test.ts).
import { expect, it } from "vitest";
import {
  endPortalSession,
  issuePortalLogin,
  listPortalSessions,
  openPortalSession,
  portalLoginOf,
  portalSessionOf,
  revokePortalSessions,
} from "../../src/moderation/portal-sessions.ts";
import type { Actor, UserId } from "../../src/registration/types.ts";
import { auditRows, expectAuditRow } from "../support/audit.ts";
import { describeEachDatabase } from "../support/database.ts";
import { moderator, scriptedRights, testModerationDeps, uid } from "../support/moderation.ts";

const tokenOf = (url: string) => url.slice(url.lastIndexOf("/") + 1);

describeEachDatabase("moderation: portal sessions", (database) => {
  let n = 0;
  const someone = () => uid(`@mod${n++}:example.org`);

  it("a link opens one session for its moderator, once; both steps are audited", async () => {
    const rights = scriptedRights();
    const now = new Date("2030-03-01T10:00:00Z");
    const deps = testModerationDeps(database().db, { rights, clock: () => now });
    const userId = someone();
    rights.set(userId, moderator);
    const issued = await issuePortalLogin(deps, { kind: "moderator", userId }, {});
    expect(issued).toMatchObject({ ok: true, userId, expiresAt: new Date("2030-03-01T10:10:00Z") });
    if (!issued.ok) return;
    expect(issued.url).toMatch(/^https:\/\/join\.example\.org\/admin\/login\/[A-Za-z0-9_-]{43}$/);
    await expectAuditRow(database().db, { action: "portal_login_issued", actor: userId, detail: { userId } });
    const token = tokenOf(issued.url);
    expect(await portalLoginOf(deps, { token })).toEqual({ ok: true, userId });

    const opened = await openPortalSession(deps, { token });
    expect(opened).toMatchObject({ ok: true, userId, expiresAt: new Date("2030-03-01T12:00:00Z") });
    if (!opened.ok) return;
    await expectAuditRow(database().db, {
      action: "portal_session_opened",
      actor: `portal:${userId}`,
      detail: { userId, expiresAt: "2030-03-01T12:00:00.000Z" },
    });
    expect(await openPortalSession(deps, { token })).toEqual({ ok: false, reason: "used" });
    expect(await portalSessionOf(deps, { token: opened.session })).toMatchObject({ ok: true, userId });
    // A sign-in link is not a session, and a session is not a link.
    expect(await portalSessionOf(deps, { token })).toEqual({ ok: false, reason: "signed_out" });
    expect(await portalLoginOf(deps, { token: opened.session })).toEqual({ ok: false, reason: "unknown" });
  });

  it("links and sessions expire", async () => {
    const rights = scriptedRights();
    let now = new Date("2030-03-02T10:00:00Z");
    const deps = testModerationDeps(database().db, { rights, clock: () => now });
    const userId = someone();
    rights.set(userId, moderator);
    const late = await issuePortalLogin(deps, { kind: "moderator", userId });
    const early = await issuePortalLogin(deps, { kind: "moderator", userId });
    if (!late.ok || !early.ok) throw new Error("setup failed");
    const opened = await openPortalSession(deps, { token: tokenOf(early.url) });
    if (!opened.ok) throw new Error("setup failed");
    now = new Date("2030-03-02T10:11:00Z");
    expect(await openPortalSession(deps, { token: tokenOf(late.url) })).toEqual({
      ok: false,
      reason: "expired",
    });
    expect(await portalSessionOf(deps, { token: opened.session })).toMatchObject({ ok: true });
    now = new Date("2030-03-02T12:00:01Z");
    expect(await portalSessionOf(deps, { token: opened.session })).toEqual({
      ok: false,
      reason: "signed_out",
    });
  });

  it("a moderator who lost their rights is refused, and all their sessions are revoked", async () => {
    const rights = scriptedRights();
    const deps = testModerationDeps(database().db, { rights });
    const userId = someone();
    rights.set(userId, moderator);
    const sessions: string[] = [];
    for (let i = 0; i < 2; i++) {
      const issued = await issuePortalLogin(deps, { kind: "moderator", userId });
      if (!issued.ok) throw new Error("setup failed");
      const opened = await openPortalSession(deps, { token: tokenOf(issued.url) });
      if (!opened.ok) throw new Error("setup failed");
      sessions.push(opened.session);
    }
    const spare = await issuePortalLogin(deps, { kind: "moderator", userId });
    if (!spare.ok) throw new Error("setup failed");

    rights.set(userId, { ok: true, moderator: false, powerLevel: 0, membership: "leave" });
    expect(await portalSessionOf(deps, { token: sessions[0]! })).toEqual({
      ok: false,
      reason: "not_moderator",
      userId,
    });
    await expectAuditRow(database().db, {
      action: "portal_sessions_revoked",
      actor: "system:rights",
      detail: { userId, count: 2, cause: "not_moderator", powerLevel: 0, membership: "leave" },
    });
    // Even with the rights back, the revoked sessions stay ended; a new sign-in is needed.
    rights.set(userId, moderator);
    expect(await portalSessionOf(deps, { token: sessions[1]! })).toEqual({ ok: false, reason: "signed_out" });
    // A link is refused while the user is no moderator.
    rights.set(userId, { ok: true, moderator: false, powerLevel: 100, membership: "leave" });
    expect(await openPortalSession(deps, { token: tokenOf(spare.url) })).toMatchObject({
      reason: "not_moderator",
    });
  });

  it("fails closed when rights cannot be checked: no session opens, none works, the link survives", async () => {
    const rights = scriptedRights();
    const deps = testModerationDeps(database().db, { rights });
    const userId = someone();
    rights.set(userId, moderator);
    const issued = await issuePortalLogin(deps, { kind: "moderator", userId });
    const second = await issuePortalLogin(deps, { kind: "moderator", userId });
    if (!issued.ok || !second.ok) throw new Error("setup failed");
    const opened = await openPortalSession(deps, { token: tokenOf(issued.url) });
    if (!opened.ok) throw new Error("setup failed");

    rights.down = true;
    expect(await portalSessionOf(deps, { token: opened.session })).toMatchObject({
      ok: false,
      reason: "rights_unavailable",
      userId,
      detail: "homeserver down (test)",
    });
    expect(await openPortalSession(deps, { token: tokenOf(second.url) })).toMatchObject({
      reason: "rights_unavailable",
    });
    rights.down = false;
    expect(await portalSessionOf(deps, { token: opened.session })).toMatchObject({ ok: true });
    expect(await openPortalSession(deps, { token: tokenOf(second.url) })).toMatchObject({ ok: true });
  });

  it("lists and revokes: one session, one moderator's, everyone's; revoking nothing writes nothing", async () => {
    const rights = scriptedRights();
    const deps = testModerationDeps(database().db, { rights });
    const [alice, bob] = [someone(), someone()];
    const open = async (userId: UserId) => {
      rights.set(userId, moderator);
      const issued = await issuePortalLogin(deps, { kind: "moderator", userId });
      if (!issued.ok) throw new Error("setup failed");
      const opened = await openPortalSession(deps, { token: tokenOf(issued.url) });
      if (!opened.ok) throw new Error("setup failed");
      return opened.session;
    };
    const a1 = await open(alice);
    const a2 = await open(alice);
    await open(bob);

    const mine = await listPortalSessions(deps, { userId: alice, current: a1 });
    expect(mine.ok && mine.sessions.map((s) => s.current).sort()).toEqual([false, true]);
    expect(await listPortalSessions(deps, { userId: "bob" })).toMatchObject({ field: "userId" });

    expect(await endPortalSession(deps, { token: a1 })).toEqual({ ok: true, ended: true });
    expect(await endPortalSession(deps, { token: a1 })).toEqual({ ok: true, ended: false });
    await expectAuditRow(database().db, {
      action: "portal_sessions_revoked",
      actor: `portal:${alice}`,
      detail: { userId: alice, count: 1 },
    });
    expect(await portalSessionOf(deps, { token: a1 })).toEqual({ ok: false, reason: "signed_out" });
    expect(await portalSessionOf(deps, { token: a2 })).toMatchObject({ ok: true });

    const cli: Actor = { kind: "cli", name: "tester" };
    expect(await revokePortalSessions(deps, cli, { userId: alice })).toEqual({ ok: true, revoked: 1 });
    await expectAuditRow(database().db, {
      action: "portal_sessions_revoked",
      actor: "cli:tester",
      detail: { userId: alice, count: 1 },
    });
    const before = (await auditRows(database().db, { action: "portal_sessions_revoked" })).length;
    expect(await revokePortalSessions(deps, cli, { userId: alice })).toEqual({ ok: true, revoked: 0 });
    expect((await auditRows(database().db, { action: "portal_sessions_revoked" })).length).toBe(before);

    const all = await revokePortalSessions(deps, { kind: "moderator", userId: bob }, { everyone: true });
    expect(all.ok && all.revoked).toBeGreaterThanOrEqual(1);
    await expectAuditRow(database().db, {
      action: "portal_sessions_revoked",
      actor: bob,
      detail: { userId: null },
    });
    const left = await listPortalSessions(deps, {});
    expect(left.ok && left.sessions).toEqual([]);
  });

  it("an operator names the moderator a link is for; a moderator gets links for themselves only", async () => {
    const deps = testModerationDeps(database().db);
    const cli: Actor = { kind: "cli", name: "tester" };
    expect(await issuePortalLogin(deps, cli, {})).toMatchObject({ ok: false, field: "userId" });
    expect(await issuePortalLogin(deps, cli, { userId: "@x:example.org" })).toMatchObject({
      ok: true,
      userId: "@x:example.org",
    });
    await expectAuditRow(database().db, {
      action: "portal_login_issued",
      actor: "cli:tester",
      detail: { userId: "@x:example.org" },
    });
    expect(
      await issuePortalLogin(
        deps,
        { kind: "moderator", userId: uid("@a:example.org") },
        { userId: "@b:example.org" },
      ),
    ).toMatchObject({ ok: false, field: "userId" });
  });
});
