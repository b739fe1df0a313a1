// Who besides the moderators may manage registration tokens: !allow, !disallow, !allowed. Claim rule "after": adding
// a subject that is already there, or removing one that is gone, changes nothing, so a replay is harmless.
import type { Db } from "../../db/database.ts";
import {
  addPermission,
  isAllowed,
  listPermissions,
  removePermission,
  type Permission,
} from "../../db/bot.repository.ts";
import { parseUserId, type UserId } from "../../registration/types.ts";
import { renderPermissionReply } from "../render/permissions.ts";
import { defineCommand, word, type Command } from "./framework.ts";

export interface PermissionCommandDeps {
  db: Db;
}

export interface Subject {
  /** A user ID, or the source of a regular expression matched against user IDs. */
  subject: string;
  isPattern: boolean;
  /** As the moderator wrote it ("/…/" for a pattern). */
  shown: string;
}

export type PermissionReply =
  | { type: "allowed"; subject: Subject; added: boolean }
  | { type: "disallowed"; subject: Subject; removed: boolean }
  | { type: "list"; permissions: Permission[] };

/** "@user:server" (exact) or "/regex/" (a valid pattern). */
export const subject = word("subject", "subject", (w): Subject | undefined => {
  if (w.length > 2 && w.startsWith("/") && w.endsWith("/")) {
    const source = w.slice(1, -1);
    try {
      new RegExp(source, "u");
      return { subject: source, isPattern: true, shown: w };
    } catch {
      return undefined;
    }
  }
  const userId = parseUserId(w);
  return userId ? { subject: userId, isPattern: false, shown: w } : undefined;
});

/** Permission "tokens" beyond the moderators: whoever !allow named (exactly or by pattern). */
export function mayUseTokens(db: Db): (userId: UserId) => Promise<boolean> {
  return (userId) => isAllowed(db, userId, "tokens");
}

export function permissionCommands(deps: PermissionCommandDeps): Command[] {
  return [
    defineCommand({
      id: "allow",
      params: { subject },
      permission: "moderator",
      claim: "after",
      async run(input, ctx): Promise<PermissionReply> {
        const added = await addPermission(deps.db, {
          subject: input.subject.subject,
          isPattern: input.subject.isPattern,
          scope: "tokens",
          createdBy: ctx.sender,
          now: ctx.now,
        });
        return { type: "allowed", subject: input.subject, added };
      },
      render: renderPermissionReply,
    }),
    defineCommand({
      id: "disallow",
      params: { subject },
      permission: "moderator",
      claim: "after",
      async run(input): Promise<PermissionReply> {
        const removed = await removePermission(deps.db, input.subject.subject);
        return { type: "disallowed", subject: input.subject, removed };
      },
      render: renderPermissionReply,
    }),
    defineCommand({
      id: "allowed",
      params: {},
      permission: "moderator",
      claim: "after",
      async run(): Promise<PermissionReply> {
        return { type: "list", permissions: await listPermissions(deps.db, "tokens") };
      },
      render: renderPermissionReply,
    }),
  ];
}
