// vestibule bans add|list|remove: bans on IPs/CIDRs, email addresses, email domains and username patterns, through
// the same use cases as the room's !ban and the portal (src/moderation/bans.ts), with the same audit rows.
import { addBan, liftBan, listBans, type Invalid } from "../moderation/index.ts";
import { describeBan } from "../registration/policy.ts";
import { UsageError, type Command } from "./command.ts";
import { cliActorName, withCliDeps } from "./deps.ts";

function refuse(problem: Invalid): never {
  throw new UsageError(problem.explanation);
}

export const bansCommand: Command = {
  name: "bans",
  summary: "manage bans on IPs/CIDRs, email addresses, domains and username patterns",
  usage: [
    "bans add <ip|email|domain|username> VALUE [--reason TEXT] [--expires 30d]",
    "bans list [--all]",
    "bans remove ID | bans remove <kind> VALUE",
  ],
  options: { reason: { type: "string" }, expires: { type: "string" }, all: { type: "boolean" } },
  async run(ctx) {
    const [action, ...rest] = ctx.positionals;
    if (action !== "add" && action !== "list" && action !== "remove") {
      throw new UsageError(
        action === undefined ? "which action? add, list or remove" : `unknown action "${action}"`,
      );
    }
    // The shape of the arguments is checked before the database is opened; their values by the use case.
    if (action === "add" && rest.length !== 2) throw new UsageError("add needs a kind and a value");
    if (action === "remove" && rest.length !== 1 && rest.length !== 2)
      throw new UsageError("remove needs a ban ID, or a kind and a value");
    if (action === "list" && rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const actor = { kind: "cli" as const, name: cliActorName(ctx.env) };

    return withCliDeps(ctx, async ({ moderation }) => {
      if (action === "add") {
        const result = await addBan(moderation, actor, {
          kind: rest[0]!,
          value: rest[1]!,
          expires: (ctx.options["expires"] as string | undefined) ?? null,
          reason: (ctx.options["reason"] as string | undefined) ?? null,
        });
        if (!result.ok) refuse(result);
        ctx.out(
          `${result.created ? "added" : "updated"} ban #${result.ban.id}: ${result.ban.kind} ${result.ban.value}`,
        );
        return { exitCode: 0 };
      }
      if (action === "remove") {
        const result = await liftBan(
          moderation,
          actor,
          rest.length === 1 ? { id: rest[0]! } : { kind: rest[0]!, value: rest[1]! },
        );
        if (!result.ok) {
          if (result.reason === "invalid") refuse(result);
          ctx.err("no such ban");
          return { exitCode: 1 };
        }
        ctx.out(`removed ${result.lifted.length} ban${result.lifted.length === 1 ? "" : "s"}`);
        return { exitCode: 0 };
      }
      const now = moderation.clock();
      const bans = await listBans(moderation, { includeExpired: ctx.options["all"] === true });
      if (bans.length === 0) ctx.out("no bans");
      for (const ban of bans) ctx.out(describeBan(ban, now));
      return { exitCode: 0 };
    });
  },
};
