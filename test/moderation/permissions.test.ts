// Command permissions through the moderation core, on both databases.
import { expect, it } from "vitest";
import {
  grantPermission,
  listPermissions,
  mayUse,
  parseSubject,
  permits,
  revokePermission,
} from "../../src/moderation/permissions.ts";
import type { Actor } from "../../src/registration/types.ts";
import { auditRows, expectAuditRow } from "../support/audit.ts";
import { describeEachDatabase } from "../support/database.ts";
import { testModerationDeps, uid } from "../support/moderation.ts";

const mod: Actor = { kind: "moderator", userId: uid("@mod:example.org") };
const cli: Actor = { kind: "cli", name: "tester" };

it("matches patterns against the whole user ID (anchored, on RE2)", () => {
  const pattern = { subject: "@.*:example\\.org", isPattern: true };
  expect(permits(pattern, "@alice:example.org")).toBe(true);
  expect(permits(pattern, "@alice:example.org.evil.test")).toBe(false);
  expect(permits(pattern, "x@alice:example.org")).toBe(false);
  expect(permits({ subject: "@alice:example.org", isPattern: false }, "@alice:example.org")).toBe(true);
});

it("parses subjects: user IDs and /patterns/; refuses everything else", () => {
  expect(parseSubject("@alice:example.org")).toEqual({
    ok: true,
    value: { subject: "@alice:example.org", isPattern: false },
  });
  expect(parseSubject("/^@.*:example\\.org$/")).toEqual({
    ok: true,
    value: { subject: "^@.*:example\\.org$", isPattern: true },
  });
  for (const bad of [
    "",
    "alice",
    "@alice",
    "@al ice:example.org",
    "/(/",
    "@a\u0000:x.org",
    "//",
    "/^(a+)+$/",
  ])
    expect(parseSubject(bad), bad).toMatchObject({ ok: false, reason: "invalid", field: "subject" });
});

describeEachDatabase("moderation: permissions", (database) => {
  it("grants, lists, checks and revokes, each change with its audit row", async () => {
    const deps = testModerationDeps(database().db);
    const carol = uid("@carol:example.org");
    expect(await mayUse(deps, carol, "tokens")).toBe(false);

    expect(await grantPermission(deps, mod, { subject: carol })).toMatchObject({ ok: true, added: true });
    await expectAuditRow(database().db, {
      action: "permission_granted",
      actor: "@mod:example.org",
      detail: { subject: carol, scope: "tokens" },
    });
    expect(await mayUse(deps, carol, "tokens")).toBe(true);

    const rowsBefore = (await auditRows(database().db, { action: "permission_granted" })).length;
    expect(await grantPermission(deps, cli, { subject: ` ${carol} ` })).toMatchObject({
      ok: true,
      added: false,
    });
    expect((await auditRows(database().db, { action: "permission_granted" })).length).toBe(rowsBefore);

    expect(await grantPermission(deps, cli, { subject: "/^@.*:partner\\.example$/" })).toMatchObject({
      ok: true,
      added: true,
    });
    await expectAuditRow(database().db, {
      action: "permission_granted",
      actor: "cli:tester",
      detail: { subject: "/^@.*:partner\\.example$/" },
    });
    expect(await mayUse(deps, uid("@dave:partner.example"), "tokens")).toBe(true);
    expect(await mayUse(deps, uid("@dave:other.example"), "tokens")).toBe(false);

    const listed = await listPermissions(deps);
    expect(listed.ok && listed.permissions.map((p) => p.subject)).toEqual([carol, "^@.*:partner\\.example$"]);

    expect(await revokePermission(deps, cli, { subject: carol })).toMatchObject({ ok: true });
    await expectAuditRow(database().db, {
      action: "permission_revoked",
      actor: "cli:tester",
      detail: { subject: carol, scope: "tokens" },
    });
    expect(await mayUse(deps, carol, "tokens")).toBe(false);
    expect(await revokePermission(deps, cli, { subject: carol })).toEqual({ ok: false, reason: "not_found" });
    expect(await grantPermission(deps, cli, { subject: carol, scope: "everything" })).toMatchObject({
      field: "scope",
    });
  });
});
