// Decisions through the moderation core, on both databases: moderators vote (a quorum decides), operators decide
// at once, input is checked once.
import { expect, it } from "vitest";
import { decide, resend, retryRequest } from "../../src/moderation/decisions.ts";
import type { Actor } from "../../src/registration/types.ts";
import { expectAuditRow } from "../support/audit.ts";
import { describeEachDatabase } from "../support/database.ts";
import { testModerationDeps, uid } from "../support/moderation.ts";
import { pendingRequest } from "../support/requests.ts";

describeEachDatabase("moderation: decisions", (database) => {
  it("a portal vote counts towards the quorum and decides when it is reached", async () => {
    const deps = testModerationDeps(database().db, {
      settings: { ...testModerationDeps(database().db).settings, approvalsRequired: 2 },
    });
    const request = await pendingRequest(database().db, deps.store, "vote");
    const first: Actor = { kind: "portal", userId: uid("@a:example.org") };
    const second: Actor = { kind: "moderator", userId: uid("@b:example.org") };
    expect(await decide(deps, first, { id: `#${request.id}`, decision: "approve" })).toMatchObject({
      ok: true,
      outcome: "recorded",
      approvals: 1,
    });
    await expectAuditRow(database().db, {
      action: "vote",
      actor: "@a:example.org",
      detail: { decision: "approve", source: "portal" },
      requestId: request.id,
    });
    expect(await decide(deps, first, { id: request.id, decision: "approve" })).toMatchObject({
      outcome: "unchanged",
    });
    expect(
      await decide(deps, second, { id: request.id, decision: "approve", via: "reaction", eventId: "$e" }),
    ).toMatchObject({
      ok: true,
      outcome: "approved",
      request: { state: "approved", decidedBy: "@b:example.org" },
    });
    expect(await decide(deps, second, { id: request.id, decision: "decline" })).toMatchObject({
      ok: false,
      reason: "wrong_state",
      state: "approved",
    });
  });

  it("an operator decides at once; bad ids, reasons and messages are refused; unknown requests are not_found", async () => {
    const deps = testModerationDeps(database().db);
    const cli: Actor = { kind: "cli", name: "tester" };
    const request = await pendingRequest(database().db, deps.store, "cli");
    expect(
      await decide(deps, cli, { id: request.id, decision: "decline", reason: "x".repeat(501) }),
    ).toMatchObject({
      field: "reason",
    });
    expect(
      await decide(deps, cli, { id: request.id, decision: "decline", message: "a\u0000" }),
    ).toMatchObject({
      field: "message",
    });
    for (const id of ["", "abc", "0", "-1", "99999999999", 1.5])
      expect(await decide(deps, cli, { id, decision: "approve" }), String(id)).toMatchObject({ field: "id" });
    expect(await decide(deps, cli, { id: 2_000_000_000, decision: "approve" })).toEqual({
      ok: false,
      reason: "not_found",
    });
    expect(await decide(deps, cli, { id: request.id, decision: "decline", reason: "spam" })).toMatchObject({
      ok: true,
      outcome: "declined",
      request: { state: "declined", decisionReason: "spam", decidedBy: "cli:tester" },
    });
    await expectAuditRow(database().db, {
      action: "declined",
      actor: "cli:tester",
      detail: { reason: "spam" },
      requestId: request.id,
    });
    expect(await retryRequest(deps, cli, { id: request.id })).toMatchObject({ reason: "wrong_state" });
    expect(await resend(deps, cli, { id: "x" })).toMatchObject({ field: "id" });
  });
});
