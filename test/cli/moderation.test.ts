// The moderation commands in-process on both databases (bans, tokens against the real Synapse, permissions, portal
// sessions, request decisions): each change leaves the same audit row as from the room and the portal, with the
// operator as actor; bad input exits 2 with the reason and changes nothing.
import { expect, inject, it } from "vitest";
import { issuePortalLogin, openPortalSession } from "../../src/moderation/index.ts";
import { auditRows, expectAuditRow } from "../support/audit.ts";
import { runCli } from "../support/cli.ts";
import { describeEachDatabase } from "../support/database.ts";
import { moderator, scriptedRights, testModerationDeps, uid } from "../support/moderation.ts";
import { pendingRequest } from "../support/requests.ts";

const synapse = inject("synapse");
const actor = "cli:tester";

describeEachDatabase("vestibule moderation commands", (database) => {
  const db = () => database().db;

  it("bans: add, update, remove, with ban_added/ban_lifted like the room's and the portal's", async () => {
    const added = await runCli(db(), [
      "bans",
      "add",
      "domain",
      "@Spam.Test",
      "--expires",
      "30d",
      "--reason",
      "wave",
    ]);
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toMatch(/^added ban #(\d+): domain spam\.test\n$/);
    const id = Number(/#(\d+)/.exec(added.stdout)![1]);
    await expectAuditRow(db(), {
      action: "ban_added",
      actor,
      detail: { id, kind: "domain", value: "spam.test", reason: "wave", created: true },
    });
    expect((await runCli(db(), ["bans", "add", "domain", "spam.test"])).stdout).toMatch(/^updated ban #/);
    expect((await runCli(db(), ["bans", "list"])).stdout).toContain("spam.test  (permanent; by cli:tester)");
    expect(await runCli(db(), ["bans", "remove", String(id)])).toMatchObject({
      code: 0,
      stdout: "removed 1 ban\n",
    });
    await expectAuditRow(db(), {
      action: "ban_lifted",
      actor,
      detail: { id, kind: "domain", value: "spam.test" },
    });
    expect(await runCli(db(), ["bans", "remove", String(id)])).toMatchObject({
      code: 1,
      stderr: "no such ban\n",
    });

    const before = (await auditRows(db())).length;
    for (const args of [
      ["add", "ip", "300.1.1.1"],
      ["add", "dns", "x"],
      ["add", "domain", "x.org", "--expires", "soon"],
      ["add", "domain", "x.org", "--reason", "x".repeat(501)],
      ["remove", "abc"],
    ]) {
      const refused = await runCli(db(), ["bans", ...args]);
      expect(refused.code, args.join(" ")).toBe(2);
      expect(refused.stderr).toMatch(/\S/);
    }
    expect((await auditRows(db())).length).toBe(before);
  });

  it("permissions: allow, list, disallow, with permission_granted/permission_revoked", async () => {
    expect(await runCli(db(), ["permissions", "list"])).toMatchObject({
      code: 0,
      stdout: "only moderators may manage tokens\n",
    });
    expect(await runCli(db(), ["permissions", "allow", "@carol:example.org"])).toMatchObject({
      code: 0,
      stdout: "@carol:example.org may now manage registration tokens\n",
    });
    await expectAuditRow(db(), {
      action: "permission_granted",
      actor,
      detail: { subject: "@carol:example.org", scope: "tokens" },
    });
    expect((await runCli(db(), ["permissions", "allow", "@carol:example.org"])).stdout).toContain(
      "already allowed",
    );
    expect((await runCli(db(), ["permissions", "allow", "/^@.*:partner\\.example$/"])).code).toBe(0);
    const list = await runCli(db(), ["permissions", "list"]);
    expect(list.stdout).toContain("@carol:example.org");
    expect(list.stdout).toContain("/^@.*:partner\\.example$/");
    expect(await runCli(db(), ["permissions", "disallow", "@carol:example.org"])).toMatchObject({ code: 0 });
    await expectAuditRow(db(), {
      action: "permission_revoked",
      actor,
      detail: { subject: "@carol:example.org" },
    });
    expect((await runCli(db(), ["permissions", "disallow", "@carol:example.org"])).code).toBe(1);
    for (const args of [["allow", "carol"], ["allow", "/(/"], ["allow"], ["frob"]])
      expect((await runCli(db(), ["permissions", ...args])).code, args.join(" ")).toBe(2);
  });

  it("tokens: create and delete on the real Synapse, with token_created/token_deleted", async () => {
    const config = {
      homeserver: { url: synapse.url, serverName: synapse.serverName, adminToken: synapse.adminToken },
    };
    const created = await runCli(db(), ["tokens", "create", "--uses", "2", "--note", "cli audit"], {
      config,
    });
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.split(/\s+/)[0]!;
    await expectAuditRow(db(), {
      action: "token_created",
      actor,
      detail: { token, usesAllowed: 2, note: "cli audit" },
    });
    expect(await runCli(db(), ["tokens", "delete", token], { config })).toMatchObject({
      code: 0,
      stdout: `deleted ${token}\n`,
    });
    await expectAuditRow(db(), { action: "token_deleted", actor, detail: { token } });
    expect((await runCli(db(), ["tokens", "create", "--uses", "0"], { config })).code).toBe(2);
    expect((await runCli(db(), ["tokens", "list"])).stderr).toContain("needs homeserver.adminToken");
  });

  it("portal: a link for a moderator, sessions listed and revoked per user or all, with their audit rows", async () => {
    const link = await runCli(db(), ["portal", "link", "--as", "@ops:example.org"]);
    expect(link.code, link.stderr).toBe(0);
    expect(link.stdout).toMatch(/\/admin\/login\/[A-Za-z0-9_-]{43}\n/);
    await expectAuditRow(db(), {
      action: "portal_login_issued",
      actor,
      detail: { userId: "@ops:example.org" },
    });
    expect((await runCli(db(), ["portal", "link"])).code).toBe(2);
    expect((await runCli(db(), ["portal", "link", "--as", "ops"])).code).toBe(2);

    const rights = scriptedRights();
    const deps = testModerationDeps(db(), { rights });
    for (const userId of ["@a:example.org", "@a:example.org", "@b:example.org"].map(uid)) {
      rights.set(userId, moderator);
      const issued = await issuePortalLogin(deps, { kind: "moderator", userId });
      if (!issued.ok) throw new Error("setup failed");
      expect(await openPortalSession(deps, { token: issued.url.split("/").pop()! })).toMatchObject({
        ok: true,
      });
    }
    const listed = await runCli(db(), ["portal", "sessions", "list", "--user", "@a:example.org"]);
    expect(listed.stdout.trim().split("\n")).toHaveLength(2);
    expect(await runCli(db(), ["portal", "sessions", "revoke", "--user", "@a:example.org"])).toMatchObject({
      code: 0,
      stdout: "ended 2 portal sessions of @a:example.org\n",
    });
    await expectAuditRow(db(), {
      action: "portal_sessions_revoked",
      actor,
      detail: { userId: "@a:example.org", count: 2 },
    });
    expect((await runCli(db(), ["portal", "sessions", "list"])).stdout).not.toContain("@a:example.org");
    expect(await runCli(db(), ["portal", "sessions", "revoke"])).toMatchObject({
      code: 0,
      stdout: "ended 1 portal session\n",
    });
    await expectAuditRow(db(), {
      action: "portal_sessions_revoked",
      actor,
      detail: { userId: null, count: 1 },
    });
    expect((await runCli(db(), ["portal", "sessions", "list"])).stdout).toBe("no portal sessions\n");
    for (const args of [["sessions"], ["sessions", "list", "--user", "bob"], ["sessions", "kill"], ["frob"]])
      expect((await runCli(db(), ["portal", ...args])).code, args.join(" ")).toBe(2);
  });

  it("requests: approve and decline through the core, with the transitions' audit rows", async () => {
    const deps = testModerationDeps(db());
    const first = await pendingRequest(db(), deps.store, "cli-approve");
    const second = await pendingRequest(db(), deps.store, "cli-decline");
    expect(await runCli(db(), ["requests", "approve", `#${first.id}`])).toMatchObject({ code: 0 });
    await expectAuditRow(db(), { action: "approved", actor, requestId: first.id });
    expect(await runCli(db(), ["requests", "decline", String(second.id), "not", "a", "fit"])).toMatchObject({
      code: 0,
      stdout: `request #${second.id} declined\n`,
    });
    await expectAuditRow(db(), {
      action: "declined",
      actor,
      detail: { reason: "not a fit" },
      requestId: second.id,
    });
    expect(await runCli(db(), ["requests", "approve", String(second.id)])).toMatchObject({
      code: 1,
      stderr: `request #${second.id} is declined; that cannot be done now\n`,
    });
    expect((await runCli(db(), ["requests", "approve", "x1"])).code).toBe(2);
    expect((await runCli(db(), ["requests", "decline", String(second.id), "--reason", "a\u0000"])).code).toBe(
      2,
    );
    expect((await runCli(db(), ["requests", "show", String(first.id)])).stdout).toContain(
      `request #${first.id}: `,
    );
  });
});
