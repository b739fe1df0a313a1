// vestibule tokens create|list|show|delete: the homeserver's registration tokens, with invite links, through the
// same use cases as the room's !token and the portal (src/moderation/tokens.ts), with the same audit rows.
import { createInvite, deleteInvites, listInvites, showInvite, type TokenView } from "../moderation/index.ts";
import { UsageError, type Command, type CommandContext } from "./command.ts";
import { cliActorName, withCliDeps } from "./deps.ts";

function describeToken(t: TokenView): string[] {
  const uses =
    t.usesAllowed === null ? `${t.completed} used, unlimited` : `${t.completed}/${t.usesAllowed} used`;
  const expiry = t.expiryTime === null ? "never expires" : `expires ${new Date(t.expiryTime).toISOString()}`;
  const lines = [
    `${t.token}  ${t.valid ? "valid" : "not valid"}  ${uses}${t.pending > 0 ? ` (+${t.pending} in progress)` : ""}, ${expiry}`,
    `  invite link: ${t.inviteUrl}`,
  ];
  if (t.createdBy) lines.push(`  created by ${t.createdBy}${t.note ? `: ${t.note}` : ""}`);
  for (const use of t.usedBy) lines.push(`  used by ${use.userId} at ${use.usedAt.toISOString()}`);
  return lines;
}

const notConfigured = "managing registration tokens needs homeserver.adminToken";

async function run(ctx: CommandContext): Promise<{ exitCode: number }> {
  const [action, ...rest] = ctx.positionals;
  if (!["create", "list", "show", "delete"].includes(action ?? ""))
    throw new UsageError(
      action === undefined ? "which action? create, list, show or delete" : `unknown action "${action}"`,
    );
  if ((action === "create" || action === "list") && rest.length > 0)
    throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (action === "show" && rest.length !== 1) throw new UsageError("show needs exactly one token");
  if (action === "delete" && rest.length === 0) throw new UsageError("delete needs at least one token");
  // Said before the database is opened: nothing here works without the admin API.
  if (!ctx.config.homeserver.adminToken) throw new UsageError(notConfigured);
  const actor = { kind: "cli" as const, name: cliActorName(ctx.env) };

  return withCliDeps(ctx, async ({ moderation }) => {
    switch (action) {
      case "create": {
        const result = await createInvite(moderation, actor, {
          uses: (ctx.options["uses"] as string | undefined) ?? null,
          expires: (ctx.options["expires"] as string | undefined) ?? null,
          note: (ctx.options["note"] as string | undefined) ?? null,
        });
        if (!result.ok)
          throw new UsageError(result.reason === "invalid" ? result.explanation : notConfigured);
        for (const line of describeToken(result.invite)) ctx.out(line);
        return { exitCode: 0 };
      }
      case "list": {
        const all = ctx.options["all"] === true;
        const result = await listInvites(moderation, all ? {} : { valid: true });
        if (!result.ok) throw new UsageError(notConfigured);
        if (result.invites.length === 0)
          ctx.out(all ? "no registration tokens" : "no valid registration tokens (--all shows all)");
        for (const t of result.invites) for (const line of describeToken(t)) ctx.out(line);
        return { exitCode: 0 };
      }
      case "show": {
        const result = await showInvite(moderation, { token: rest[0]! });
        if (!result.ok) {
          if (result.reason === "invalid") throw new UsageError(result.explanation);
          if (result.reason === "not_configured") throw new UsageError(notConfigured);
          ctx.err(`no such registration token: ${rest[0]}`);
          return { exitCode: 1 };
        }
        for (const line of describeToken(result.invite)) ctx.out(line);
        return { exitCode: 0 };
      }
      default: {
        const result = await deleteInvites(moderation, actor, { tokens: rest });
        if (!result.ok)
          throw new UsageError(result.reason === "invalid" ? result.explanation : notConfigured);
        for (const t of result.deleted) ctx.out(`deleted ${t}`);
        for (const t of result.missing) ctx.err(`no such registration token: ${t}`);
        return { exitCode: result.missing.length > 0 ? 1 : 0 };
      }
    }
  });
}

export const tokensCommand: Command = {
  name: "tokens",
  summary: "manage the homeserver's registration tokens (invite links)",
  usage: [
    "tokens create [--uses N|unlimited] [--expires 7d|never] [--note TEXT]",
    "tokens list [--all]",
    "tokens show TOKEN",
    "tokens delete TOKEN...",
  ],
  options: {
    uses: { type: "string" },
    expires: { type: "string" },
    note: { type: "string" },
    all: { type: "boolean" },
  },
  run,
};
