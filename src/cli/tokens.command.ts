// vestibule tokens create|list|show|delete: the homeserver's registration tokens, with invite links.
import { parseDuration } from "../registration/duration.ts";
import { createTokenService, isTokenString, type TokenView } from "../homeserver/invite-tokens.ts";
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

async function run(ctx: CommandContext): Promise<{ exitCode: number }> {
  const [action, ...rest] = ctx.positionals;
  if (!ctx.config.homeserver.adminToken)
    throw new UsageError("managing registration tokens needs homeserver.adminToken");
  return withCliDeps(ctx.config, async ({ database, homeserver }) => {
    const tokens = createTokenService({
      db: database.db,
      homeserver,
      publicUrl: ctx.config.publicUrl,
      clock: () => new Date(),
    });
    switch (action) {
      case "create": {
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        const usesText = ctx.options["uses"] as string | undefined;
        const uses = usesText === undefined ? 1 : usesText === "unlimited" ? null : Number(usesText);
        if (uses !== null && (!Number.isInteger(uses) || uses < 1 || uses > 1_000_000)) {
          throw new UsageError(`--uses must be a whole number from 1, or "unlimited" (got "${usesText}")`);
        }
        const expiresText = ctx.options["expires"] as string | undefined;
        let expiresIn: number | null = 7 * 86_400_000;
        if (expiresText === "never") expiresIn = null;
        else if (expiresText !== undefined) {
          expiresIn = parseDuration(expiresText);
          if (expiresIn === null) {
            throw new UsageError(
              `--expires must be a duration such as 30m, 12h, 7d, 2w, or "never" (got "${expiresText}")`,
            );
          }
        }
        const note = (ctx.options["note"] as string | undefined) ?? null;
        if (note !== null && note.length > 500) throw new UsageError("--note is longer than 500 characters");
        const created = await tokens.create({
          usesAllowed: uses,
          expiresInMs: expiresIn,
          note,
          createdBy: `cli:${cliActorName(ctx.env)}`,
        });
        for (const line of describeToken(created)) ctx.out(line);
        return { exitCode: 0 };
      }
      case "list": {
        const list = await tokens.list(ctx.options["all"] ? {} : { valid: true });
        if (list.length === 0)
          ctx.out(
            ctx.options["all"] ? "no registration tokens" : "no valid registration tokens (--all shows all)",
          );
        for (const t of list) for (const line of describeToken(t)) ctx.out(line);
        return { exitCode: 0 };
      }
      case "show": {
        if (rest.length !== 1 || !isTokenString(rest[0]!))
          throw new UsageError("show needs exactly one token");
        const found = await tokens.show(rest[0]!);
        if (!found) {
          ctx.err(`no such registration token: ${rest[0]}`);
          return { exitCode: 1 };
        }
        for (const line of describeToken(found)) ctx.out(line);
        return { exitCode: 0 };
      }
      case "delete": {
        if (rest.length === 0) throw new UsageError("delete needs at least one token");
        const bad = rest.find((t) => !isTokenString(t));
        if (bad) throw new UsageError(`"${bad}" is not a registration token`);
        const result = await tokens.delete(rest);
        for (const t of result.deleted) ctx.out(`deleted ${t}`);
        for (const t of result.missing) ctx.err(`no such registration token: ${t}`);
        return { exitCode: result.missing.length > 0 ? 1 : 0 };
      }
      default:
        throw new UsageError(
          action === undefined ? "which action? create, list, show or delete" : `unknown action "${action}"`,
        );
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
