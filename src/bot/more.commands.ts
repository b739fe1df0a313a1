// Commands beyond deciding requests: the homeserver's registration tokens (!token), who may manage them (!allow,
// !disallow, !allowed), bans (!ban, !unban, !bans), and a one-time login link for the web portal (!login).
import { hashToken, randomToken } from "../crypto/index.ts";
import type { Db } from "../db/database.ts";
import {
  addPermission,
  getBotState,
  listPermissions,
  removePermission,
  setBotState,
} from "../db/bot.repository.ts";
import { addBan, listBans, removeBan } from "../db/ban.repository.ts";
import { insertSecretToken } from "../db/secret-token.repository.ts";
import { isTokenString, type TokenService, type TokenView } from "../homeserver/invite-tokens.ts";
import { formatDuration, parseDuration } from "../registration/duration.ts";
import { banKinds, describeBan, isBanKind, parseBanValue, type BanKind } from "../registration/policy.ts";
import type { CommandSpec } from "./commands.ts";
import { plain } from "./render.ts";

function describe(t: TokenView, now: Date): string {
  const uses =
    t.usesAllowed === null ? `${t.completed} used (unlimited)` : `${t.completed}/${t.usesAllowed} used`;
  const pending = t.pending > 0 ? `, ${t.pending} in progress` : "";
  const expiry =
    t.expiryTime === null
      ? "never expires"
      : t.expiryTime <= now.getTime()
        ? "expired"
        : `expires in ${formatDuration(t.expiryTime - now.getTime())}`;
  const origin = t.createdBy ? `, by ${t.createdBy}${t.note ? ` (${t.note})` : ""}` : "";
  return `${t.token} — ${t.valid ? "valid" : "not valid"}, ${uses}${pending}, ${expiry}${origin}\n  ${t.inviteUrl}`;
}

const CONFIRM_WINDOW_MS = 2 * 60_000;

export function tokenCommands(deps: {
  tokens: TokenService;
  db: Db;
  clock: () => Date;
  prefix: string;
}): CommandSpec[] {
  const p = deps.prefix;
  return [
    {
      name: "token",
      usage: "token create [uses] [expiry] | list | show TOKEN | delete TOKEN… | delete-all",
      summary: "manage registration tokens (invite links); e.g. token create 5 7d",
      permission: "tokens",
      async run(command, ctx) {
        const [action, ...args] = command.args;
        const now = deps.clock();
        switch (action) {
          case "create": {
            if (args.length > 2)
              return plain(`Usage: ${p}token create [uses|unlimited] [expiry like 7d|never]`);
            let uses: number | null = 1;
            let expiresIn: number | null = 7 * 86_400_000;
            for (const arg of args) {
              if (/^\d{1,6}$/.test(arg) && Number(arg) > 0) uses = Number(arg);
              else if (arg === "unlimited") uses = null;
              else if (arg === "never") expiresIn = null;
              else {
                const duration = parseDuration(arg);
                if (duration === null)
                  return plain(`"${arg}" is neither a number of uses nor a duration like 12h or 7d.`);
                expiresIn = duration;
              }
            }
            const created = await deps.tokens.create({
              usesAllowed: uses,
              expiresInMs: expiresIn,
              note: null,
              createdBy: ctx.sender,
            });
            return plain(`Created a registration token:\n${describe(created, now)}`);
          }
          case "list": {
            const tokens = await deps.tokens.list({ valid: true });
            return plain(
              tokens.length === 0
                ? "No valid registration tokens."
                : [
                    `${tokens.length} valid registration token${tokens.length === 1 ? "" : "s"}:`,
                    ...tokens.map((t) => describe(t, now)),
                  ].join("\n"),
            );
          }
          case "show": {
            if (args.length !== 1 || !isTokenString(args[0]!)) return plain(`Usage: ${p}token show TOKEN`);
            const token = await deps.tokens.show(args[0]!);
            if (!token) return plain(`There is no registration token ${args[0]}.`);
            const used = token.usedBy.map(
              (u) => `  used by ${u.userId} at ${u.usedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`,
            );
            return plain([describe(token, now), ...used].join("\n"));
          }
          case "delete": {
            if (args.length === 0) return plain(`Usage: ${p}token delete TOKEN…`);
            const bad = args.find((a) => !isTokenString(a));
            if (bad) return plain(`"${bad}" is not a registration token.`);
            const result = await deps.tokens.delete(args);
            return plain(
              [
                result.deleted.length ? `Deleted ${result.deleted.join(", ")}.` : "",
                result.missing.length ? `No such token: ${result.missing.join(", ")}.` : "",
              ]
                .filter(Boolean)
                .join(" "),
            );
          }
          case "delete-all": {
            const key = `confirm-delete-all:${ctx.sender}`;
            // The invitations made through Vestibule (room, CLI, portal); tokens of approved requests still waiting
            // to register, and tokens made outside Vestibule, are left alone.
            const deletable = async () =>
              (await deps.tokens.list({ valid: true })).filter((t) => t.purpose === "invite");
            if (args[0] !== "confirm") {
              const count = (await deletable()).length;
              await setBotState(deps.db, key, now.toISOString(), now);
              return plain(
                `This deletes all ${count} valid invitation token${count === 1 ? "" : "s"} made through Vestibule (approved requests keep theirs; tokens made elsewhere are not touched). To go ahead, send ${p}token delete-all confirm within 2 minutes.`,
              );
            }
            const asked = await getBotState<string>(deps.db, key);
            if (!asked || now.getTime() - new Date(asked).getTime() > CONFIRM_WINDOW_MS) {
              return plain(`Nothing to confirm: send ${p}token delete-all first.`);
            }
            await setBotState(deps.db, key, "1970-01-01T00:00:00Z", now);
            const result = await deps.tokens.delete((await deletable()).map((t) => t.token));
            return plain(
              `Deleted ${result.deleted.length} registration token${result.deleted.length === 1 ? "" : "s"}.`,
            );
          }
          default:
            return plain(
              `Usage: ${p}token create [uses] [expiry] | list | show TOKEN | delete TOKEN… | delete-all`,
            );
        }
      },
    },
  ];
}

/** "@user:server" (exact) or "/regex/" (pattern), validated. */
function parseSubject(text: string | undefined): { subject: string; isPattern: boolean } | { error: string } {
  if (!text)
    return { error: "Give a user ID like @alice:example.org or a pattern like /^@.*:example\\.org$/." };
  if (text.length > 2 && text.startsWith("/") && text.endsWith("/")) {
    const source = text.slice(1, -1);
    try {
      new RegExp(source, "u");
      return { subject: source, isPattern: true };
    } catch {
      return { error: `"${text}" is not a valid regular expression.` };
    }
  }
  if (!/^@[^:\s]+:\S+$/.test(text))
    return { error: `"${text}" is not a user ID (like @alice:example.org) or a /pattern/.` };
  return { subject: text, isPattern: false };
}

export function permissionCommands(deps: { db: Db; clock: () => Date; prefix: string }): CommandSpec[] {
  return [
    {
      name: "allow",
      usage: "allow @user:server | /regex/",
      summary: "let someone who is not a moderator manage registration tokens",
      permission: "moderator",
      async run(command, ctx) {
        const parsed = parseSubject(command.args[0]);
        if ("error" in parsed) return plain(parsed.error);
        const added = await addPermission(deps.db, {
          ...parsed,
          scope: "tokens",
          createdBy: ctx.sender,
          now: deps.clock(),
        });
        return plain(
          added
            ? `${command.args[0]} may now use ${deps.prefix}token.`
            : `${command.args[0]} was already allowed.`,
        );
      },
    },
    {
      name: "disallow",
      usage: "disallow @user:server | /regex/",
      summary: "take that right back",
      permission: "moderator",
      async run(command) {
        const parsed = parseSubject(command.args[0]);
        if ("error" in parsed) return plain(parsed.error);
        return plain(
          (await removePermission(deps.db, parsed.subject))
            ? `${command.args[0]} may no longer use ${deps.prefix}token.`
            : `${command.args[0]} was not on the list.`,
        );
      },
    },
    {
      name: "allowed",
      usage: "allowed",
      summary: `who may use ${deps.prefix}token besides the moderators`,
      permission: "moderator",
      async run() {
        const list = await listPermissions(deps.db, "tokens");
        return plain(
          list.length === 0
            ? "Only moderators may manage tokens."
            : [
                "Besides the moderators, these may manage tokens:",
                ...list.map((p) => `• ${p.isPattern ? `/${p.subject}/` : p.subject} (by ${p.createdBy})`),
              ].join("\n"),
        );
      },
    },
  ];
}

/** !login: a one-time link to the admin portal, valid 10 minutes, bound to the moderator, sent privately. */
export function loginCommand(deps: { db: Db; clock: () => Date; publicUrl: string }): CommandSpec {
  return {
    name: "login",
    usage: "login",
    summary: "get a one-time login link to the web portal (sent to you privately)",
    permission: "moderator",
    async run(_command, ctx) {
      const now = deps.clock();
      const token = randomToken();
      await insertSecretToken(deps.db, {
        hash: hashToken(token),
        purpose: "admin_login",
        requestId: null,
        subject: ctx.sender,
        expiresAt: new Date(now.getTime() + 10 * 60_000),
        now,
      });
      await ctx.sendDirect(
        ctx.sender,
        `Your Vestibule portal login link (valid 10 minutes, works once): ${deps.publicUrl.replace(/\/+$/, "")}/admin/login/${token}`,
      );
      return plain(`${ctx.sender}: I sent you a login link in a direct message.`);
    },
  };
}

/** !ban, !unban, !bans: the same bans as `vestibule bans` and the portal, from the moderators' room. */
export function banCommands(deps: { db: Db; clock: () => Date; prefix: string }): CommandSpec[] {
  const p = deps.prefix;
  const kinds = banKinds.join("|");
  return [
    {
      name: "ban",
      usage: `ban ${kinds} VALUE [duration] [reason…]`,
      summary:
        "refuse sign-ups from an IP/CIDR, email address, domain or username pattern; e.g. ban domain spam.example 30d",
      permission: "moderator",
      async run(command, ctx) {
        const [kind, raw, ...more] = command.args;
        if (!isBanKind(kind) || raw === undefined)
          return plain(`Usage: ${p}ban ${kinds} VALUE [duration like 30d] [reason]`);
        const value = parseBanValue(kind, raw);
        if (!value.ok) return plain(`Cannot ban that: ${value.error}.`);
        const duration = more[0] === undefined ? null : parseDuration(more[0]);
        const reason = (duration === null ? more : more.slice(1)).join(" ").trim();
        if (reason.length > 500) return plain("The reason is longer than 500 characters.");
        const now = deps.clock();
        const result = await addBan(deps.db, {
          kind,
          value: value.value,
          reason: reason || null,
          expiresAt: duration === null ? null : new Date(now.getTime() + duration),
          createdBy: ctx.sender,
          now,
        });
        return plain(
          `${result.created ? "Banned" : "Updated the ban on"} ${kind} ${value.value} (#${result.id}, ${
            duration === null ? "permanent" : `for ${formatDuration(duration)}`
          }${reason ? `: ${reason}` : ""}).`,
        );
      },
    },
    {
      name: "unban",
      usage: `unban ID | unban ${kinds} VALUE`,
      summary: "lift a ban",
      permission: "moderator",
      async run(command) {
        const [first, second, extra] = command.args;
        let target: { id: number } | { kind: BanKind; value: string };
        if (first !== undefined && /^#?\d{1,9}$/.test(first) && second === undefined)
          target = { id: Number(first.replace("#", "")) };
        else if (isBanKind(first) && second !== undefined && extra === undefined) {
          const value = parseBanValue(first, second);
          if (!value.ok) return plain(`Cannot read that: ${value.error}.`);
          target = { kind: first, value: value.value };
        } else return plain(`Usage: ${p}unban ID, or ${p}unban ${kinds} VALUE (${p}bans lists them)`);
        const removed = await removeBan(deps.db, target);
        return plain(removed === 0 ? "No such ban." : "Ban lifted.");
      },
    },
    {
      name: "bans",
      usage: "bans",
      summary: "list the bans in force",
      permission: "moderator",
      async run() {
        const now = deps.clock();
        const bans = await listBans(deps.db, { includeExpired: false, now });
        return plain(
          bans.length === 0
            ? "No bans in force."
            : [
                `${bans.length} ban${bans.length === 1 ? "" : "s"} in force:`,
                ...bans.map((b) => describeBan(b, now)),
              ].join("\n"),
        );
      },
    },
  ];
}
