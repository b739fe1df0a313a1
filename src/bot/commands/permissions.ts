// Who besides the moderators may manage registration tokens: !allow, !disallow, !allowed, through the moderation
// core. Claim rule "after": granting a subject that is already there, or revoking one that is gone, changes nothing
// (and writes no audit row), so a replay is harmless.
import {
  grantPermission,
  listPermissions,
  mayUse,
  revokePermission,
  showSubject,
  type Permission,
} from "../../moderation/index.ts";
import type { PermissionDeps } from "../../moderation/permissions.ts";
import { parseUserId, type UserId } from "../../registration/types.ts";
import { renderPermissionReply } from "../render/permissions.ts";
import { defineCommand, word, type Command } from "./framework.ts";

export type PermissionCommandDeps = PermissionDeps;

export type PermissionReply =
  | { type: "allowed"; subject: string; added: boolean }
  | { type: "disallowed"; subject: string; removed: boolean }
  | { type: "invalid"; value: string }
  | { type: "list"; permissions: Permission[] };

/** "@user:server" (exact) or "/regex/" (a valid pattern); the core parses it again and has the last word. */
export const subject = word("subject", "subject", (w) => {
  if (w.length > 2 && w.startsWith("/") && w.endsWith("/")) {
    try {
      new RegExp(w.slice(1, -1), "u");
      return w;
    } catch {
      return undefined;
    }
  }
  return parseUserId(w) ? w : undefined;
});

/** Permission "tokens" beyond the moderators: whoever !allow named (exactly or by pattern). */
export function mayUseTokens(deps: PermissionDeps): (userId: UserId) => Promise<boolean> {
  return (userId) => mayUse(deps, userId, "tokens");
}

export function permissionCommands(deps: PermissionCommandDeps): Command[] {
  return [
    defineCommand({
      id: "allow",
      params: { subject },
      permission: "moderator",
      claim: "after",
      async run(input, ctx): Promise<PermissionReply> {
        const result = await grantPermission(
          deps,
          { kind: "moderator", userId: ctx.sender },
          { subject: input.subject },
        );
        return result.ok
          ? { type: "allowed", subject: showSubject(result.permission), added: result.added }
          : { type: "invalid", value: result.value };
      },
      render: renderPermissionReply,
    }),
    defineCommand({
      id: "disallow",
      params: { subject },
      permission: "moderator",
      claim: "after",
      async run(input, ctx): Promise<PermissionReply> {
        const result = await revokePermission(
          deps,
          { kind: "moderator", userId: ctx.sender },
          { subject: input.subject },
        );
        if (result.ok) return { type: "disallowed", subject: showSubject(result.permission), removed: true };
        return result.reason === "not_found"
          ? { type: "disallowed", subject: input.subject, removed: false }
          : { type: "invalid", value: result.value };
      },
      render: renderPermissionReply,
    }),
    defineCommand({
      id: "allowed",
      params: {},
      permission: "moderator",
      claim: "after",
      async run(): Promise<PermissionReply> {
        const listed = await listPermissions(deps, { scope: "tokens" });
        return listed.ok
          ? { type: "list", permissions: listed.permissions }
          : { type: "invalid", value: listed.value };
      },
      render: renderPermissionReply,
    }),
  ];
}
