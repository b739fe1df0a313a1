// vestibule permissions allow|disallow|list: who besides the moderators may manage registration tokens — the same
// use cases as the room's !allow/!disallow/!allowed and the portal (src/moderation/permissions.ts).
import { grantPermission, listPermissions, revokePermission, showSubject } from "../moderation/index.ts";
import { UsageError, type Command } from "./command.ts";
import { cliActorName, withCliDeps } from "./deps.ts";

export const permissionsCommand: Command = {
  name: "permissions",
  summary: "let people who are not moderators manage registration tokens",
  usage: [
    "permissions allow @user:server | /regex/",
    "permissions disallow @user:server | /regex/",
    "permissions list",
  ],
  async run(ctx) {
    const [action, ...rest] = ctx.positionals;
    if (action !== "allow" && action !== "disallow" && action !== "list")
      throw new UsageError(
        action === undefined ? "which action? allow, disallow or list" : `unknown action "${action}"`,
      );
    if (action === "list" ? rest.length > 0 : rest.length !== 1)
      throw new UsageError(
        action === "list" ? `unexpected argument "${rest[0]}"` : `${action} needs one subject`,
      );
    const actor = { kind: "cli" as const, name: cliActorName(ctx.env) };
    return withCliDeps(ctx, async ({ moderation }) => {
      if (action === "list") {
        const listed = await listPermissions(moderation);
        if (!listed.ok) throw new UsageError(listed.explanation);
        if (listed.permissions.length === 0) ctx.out("only moderators may manage tokens");
        for (const p of listed.permissions)
          ctx.out(
            `${showSubject(p).padEnd(40)} ${p.scope}  by ${p.createdBy} ${p.createdAt.toISOString().slice(0, 10)}`,
          );
        return { exitCode: 0 };
      }
      const subject = rest[0]!;
      if (action === "allow") {
        const result = await grantPermission(moderation, actor, { subject });
        if (!result.ok) throw new UsageError(result.explanation);
        const shown = showSubject(result.permission);
        ctx.out(
          result.added ? `${shown} may now manage registration tokens` : `${shown} was already allowed`,
        );
        return { exitCode: 0 };
      }
      const result = await revokePermission(moderation, actor, { subject });
      if (!result.ok) {
        if (result.reason === "invalid") throw new UsageError(result.explanation);
        ctx.err(`${subject} was not on the list`);
        return { exitCode: 1 };
      }
      ctx.out(`${showSubject(result.permission)} may no longer manage registration tokens`);
      return { exitCode: 0 };
    });
  },
};
