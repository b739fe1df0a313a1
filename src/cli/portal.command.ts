// vestibule portal sessions list|revoke, portal link: the moderators' portal seen from the operator's terminal —
// who is signed in, ending sessions (e.g. after a moderator left), and a sign-in link for a named moderator. The
// same use cases as the room's !login/!logout-all and the portal (src/moderation/portal-sessions.ts).
import { issuePortalLogin, listPortalSessions, revokePortalSessions } from "../moderation/index.ts";
import { UsageError, type Command } from "./command.ts";
import { cliActorName, withCliDeps } from "./deps.ts";

const stamp = (date: Date | null) =>
  date ? `${date.toISOString().slice(0, 16).replace("T", " ")} UTC` : "-";

export const portalCommand: Command = {
  name: "portal",
  summary: "list and end moderators' portal sessions; make a sign-in link for a moderator",
  usage: [
    "portal sessions list [--user @user:server]",
    "portal sessions revoke [--user @user:server]   (without --user: every session)",
    "portal link --as @user:server",
  ],
  options: { user: { type: "string" }, as: { type: "string" } },
  async run(ctx) {
    const [what, action, ...rest] = ctx.positionals;
    const actor = { kind: "cli" as const, name: cliActorName(ctx.env) };
    if (what === "link") {
      if (action !== undefined) throw new UsageError(`unexpected argument "${action}"`);
      const as = ctx.options["as"] as string | undefined;
      if (as === undefined) throw new UsageError("link needs --as @user:server (the moderator who signs in)");
      return withCliDeps(ctx, async ({ moderation }) => {
        const issued = await issuePortalLogin(moderation, actor, { userId: as });
        if (!issued.ok) throw new UsageError(issued.explanation);
        // For the operator at the terminal, never logged: the link signs in once, as that moderator, whose
        // rights in the moderators' room are checked on every page.
        ctx.out(issued.url);
        ctx.out(`works once, until ${stamp(issued.expiresAt)}, for ${issued.userId}`);
        return { exitCode: 0 };
      });
    }
    if (what !== "sessions")
      throw new UsageError(what === undefined ? "which part? sessions or link" : `unknown part "${what}"`);
    if (action !== "list" && action !== "revoke")
      throw new UsageError(
        action === undefined ? "which action? list or revoke" : `unknown action "${action}"`,
      );
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const user = ctx.options["user"] as string | undefined;
    return withCliDeps(ctx, async ({ moderation }) => {
      if (action === "list") {
        const listed = await listPortalSessions(moderation, { userId: user ?? null });
        if (!listed.ok) throw new UsageError(listed.explanation);
        if (listed.sessions.length === 0) ctx.out("no portal sessions");
        for (const s of listed.sessions)
          ctx.out(
            `${s.id}  ${s.userId.padEnd(32)} signed in ${stamp(s.createdAt)}, ends ${stamp(s.expiresAt)}`,
          );
        return { exitCode: 0 };
      }
      const result = await revokePortalSessions(
        moderation,
        actor,
        user === undefined ? { everyone: true } : { userId: user },
      );
      if (!result.ok) throw new UsageError(result.explanation);
      ctx.out(
        `ended ${result.revoked} portal session${result.revoked === 1 ? "" : "s"}${user === undefined ? "" : ` of ${user}`}`,
      );
      return { exitCode: 0 };
    });
  },
};
