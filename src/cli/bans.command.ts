// vestibule bans add|list|remove: bans on IPs/CIDRs, email addresses, email domains and username patterns.
import { addBan, listBans, removeBan } from "../db/ban.repository.ts";
import { parseDuration } from "../registration/duration.ts";
import { banKinds, describeBan, isBanKind, parseBanValue, type BanKind } from "../registration/policy.ts";
import { UsageError, type Command } from "./command.ts";
import { cliActorName, withCliDeps } from "./deps.ts";

function parseKind(value: string | undefined): BanKind {
  if (!isBanKind(value)) {
    throw new UsageError(`the kind must be one of ${banKinds.join(", ")}${value ? ` (got "${value}")` : ""}`);
  }
  return value;
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
    // Arguments are checked before the database is opened.
    let added:
      { kind: BanKind; value: string; reason: string | null; expiresInMs: number | null } | undefined;
    let removal: { id: number } | { kind: BanKind; value: string } | undefined;
    if (action === "add") {
      if (rest.length !== 2) throw new UsageError("add needs a kind and a value");
      const kind = parseKind(rest[0]);
      const value = parseBanValue(kind, rest[1]!);
      if (!value.ok) throw new UsageError(value.error);
      const expires = ctx.options["expires"] as string | undefined;
      const expiresInMs = expires === undefined ? null : parseDuration(expires);
      if (expires !== undefined && expiresInMs === null)
        throw new UsageError(`--expires must be a duration such as 12h or 30d (got "${expires}")`);
      const reason = (ctx.options["reason"] as string | undefined)?.trim() ?? null;
      if (reason !== null && reason.length > 500)
        throw new UsageError("--reason is longer than 500 characters");
      added = { kind, value: value.value, reason: reason || null, expiresInMs };
    } else if (action === "remove") {
      if (rest.length === 1 && /^\d+$/.test(rest[0]!)) removal = { id: Number(rest[0]) };
      else if (rest.length === 2) {
        const kind = parseKind(rest[0]);
        const value = parseBanValue(kind, rest[1]!);
        if (!value.ok) throw new UsageError(value.error);
        removal = { kind, value: value.value };
      } else throw new UsageError("remove needs a ban ID, or a kind and a value");
    } else if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);

    return withCliDeps(ctx.config, async ({ database }) => {
      const now = new Date();
      if (added) {
        const result = await addBan(database.db, {
          kind: added.kind,
          value: added.value,
          reason: added.reason,
          expiresAt: added.expiresInMs === null ? null : new Date(now.getTime() + added.expiresInMs),
          createdBy: `cli:${cliActorName(ctx.env)}`,
          now,
        });
        ctx.out(`${result.created ? "added" : "updated"} ban #${result.id}: ${added.kind} ${added.value}`);
        return { exitCode: 0 };
      }
      if (removal) {
        const removed = await removeBan(database.db, removal);
        if (removed === 0) {
          ctx.err("no such ban");
          return { exitCode: 1 };
        }
        ctx.out(`removed ${removed} ban${removed === 1 ? "" : "s"}`);
        return { exitCode: 0 };
      }
      const bans = await listBans(database.db, { includeExpired: ctx.options["all"] === true, now });
      if (bans.length === 0) ctx.out("no bans");
      for (const ban of bans) ctx.out(describeBan(ban, now));
      return { exitCode: 0 };
    });
  },
};
