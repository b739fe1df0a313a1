// vestibule accounts list|disable|enable|reset-password (local mode: the accounts Vestibule keeps).
import { createPasswordHasher, randomPassword } from "../crypto/index.ts";
import { resend } from "../moderation/index.ts";
import { UsageError, type Command } from "./command.ts";
import { cliActorName, withCliDeps } from "./deps.ts";

export const accountsCommand: Command = {
  name: "accounts",
  summary: "local mode: list, disable, enable accounts, and reset their passwords",
  usage: [
    "accounts list [--limit N] [--offset N]",
    "accounts disable LOCALPART",
    "accounts enable LOCALPART",
    "accounts reset-password LOCALPART [--print]",
  ],
  options: { limit: { type: "string" }, offset: { type: "string" }, print: { type: "boolean" } },
  async run(ctx) {
    const [action, localpartArg, ...extra] = ctx.positionals;
    if (!["list", "disable", "enable", "reset-password"].includes(action ?? "")) {
      throw new UsageError(
        action === undefined
          ? "which action? list, disable, enable or reset-password"
          : `unknown action "${action}"`,
      );
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const localpart = localpartArg?.replace(/^@/, "").split(":")[0]?.toLowerCase();
    if (action !== "list" && !localpart) throw new UsageError(`${action} needs a username`);
    const number = (name: string, fallback: number) => {
      const value = ctx.options[name] as string | undefined;
      if (value === undefined) return fallback;
      if (!/^\d{1,6}$/.test(value)) throw new UsageError(`--${name} must be a whole number`);
      return Number(value);
    };
    const limit = number("limit", 100);
    const offset = number("offset", 0);

    return withCliDeps(ctx, async ({ moderation, localAccounts }) => {
      const now = new Date();
      if (action === "list") {
        const accounts = await localAccounts.list({ limit, offset });
        if (accounts.length === 0) ctx.out("no local accounts");
        for (const a of accounts) {
          const state = a.disabledAt ? "disabled" : a.passwordHash ? "active" : "no password yet";
          ctx.out(
            `${a.localpart.padEnd(24)} ${state.padEnd(15)} ${a.displayName ?? ""} <${a.email ?? ""}>  created ${a.createdAt.toISOString().slice(0, 10)}`,
          );
        }
        return { exitCode: 0 };
      }
      const account = await localAccounts.find(localpart!);
      if (!account) {
        ctx.err(`no local account named ${localpart}`);
        return { exitCode: 1 };
      }
      if (action === "disable" || action === "enable") {
        await localAccounts.setDisabled(account.localpart, action === "disable", now);
        ctx.out(`${account.localpart} ${action === "disable" ? "disabled: logins are refused" : "enabled"}`);
        return { exitCode: 0 };
      }
      if (ctx.options["print"]) {
        // For an operator at the terminal (not logged): a one-time password to hand over in person.
        const password = randomPassword();
        const hasher = await createPasswordHasher({ ...ctx.config.accounts.pwhash, threads: 1 });
        try {
          await localAccounts.setPasswordHash(account.localpart, await hasher.hash(password), now);
        } finally {
          await hasher.close();
        }
        ctx.out(`one-time password for ${account.localpart}: ${password}`);
        ctx.out("ask the user to change it after signing in");
        return { exitCode: 0 };
      }
      if (account.requestId === null) {
        ctx.err(
          `${account.localpart} has no sign-up request to send a link to; use --print for a one-time password`,
        );
        return { exitCode: 1 };
      }
      const result = await resend(
        moderation,
        { kind: "cli", name: cliActorName(ctx.env) },
        { id: account.requestId },
      );
      if (!result.ok) {
        ctx.err(
          `cannot send a link: ${result.reason === "wrong_state" ? `the request is ${result.state}` : result.reason}; use --print instead`,
        );
        return { exitCode: 1 };
      }
      ctx.out(
        `a set-password link for ${account.localpart} is on its way to ${account.email ?? "the address on file"}`,
      );
      return { exitCode: 0 };
    });
  },
};
