// Bans from the moderators' room: !ban, !unban, !bans — the same bans as `vestibule bans` and the portal.
// !ban claims its event in the transaction that adds the ban (a replay must not add or extend it again); !unban
// and !bans are safe to run again and are claimed after the answer.
import type { Db } from "../../db/database.ts";
import { addBan, listBans, removeBan, type BanRecord } from "../../db/ban.repository.ts";
import { claimHandledEvent } from "../../db/bot.repository.ts";
import { parseDuration } from "../../registration/duration.ts";
import { isBanKind, parseBanValue, type BanKind } from "../../registration/policy.ts";
import { renderBanReply } from "../render/bans.ts";
import { defineCommand, optional, restOfLine, word, type Command, type ParamType } from "./framework.ts";

export interface BanCommandDeps {
  db: Db;
}

export type BanTarget = { id: number } | { kind: BanKind; value: string };

export type BanReply =
  | {
      type: "banned";
      id: number;
      created: boolean;
      kind: BanKind;
      value: string;
      durationMs: number | null;
      reason: string | null;
    }
  | { type: "invalid_value"; kind: BanKind; value: string }
  | { type: "already_handled" }
  | { type: "lifted" }
  | { type: "no_such_ban" }
  | { type: "list"; bans: BanRecord[] };

const kind = word("kind", "banKind", (w) => {
  const lower = w.toLowerCase();
  return isBanKind(lower) ? lower : undefined;
});
const value = word("value", "text", (w) => w);
const duration = word("duration", "duration", (w) => parseDuration(w) ?? undefined);
const reason = restOfLine("reason", { max: 500, multiline: false });

/** A ban by its number ("12", "#12"), or by kind and value ("domain spam.example"). */
const banTarget: ParamType<BanTarget> = {
  name: "ban",
  optional: false,
  greedy: false,
  read(text, at) {
    const first = text.words[at];
    if (first === undefined) return { ok: false, problem: { type: "missing", param: "ban" } };
    if (/^#?\d{1,9}$/.test(first))
      return { ok: true, value: { id: Number(first.replace("#", "")) }, used: 1 };
    const second = text.words[at + 1];
    const banKind = first.toLowerCase();
    if (isBanKind(banKind) && second !== undefined)
      return { ok: true, value: { kind: banKind, value: second }, used: 2 };
    return { ok: false, problem: { type: "invalid", param: "ban", kind: "banTarget", value: first } };
  },
};

export function banCommands(deps: BanCommandDeps): Command[] {
  return [
    defineCommand({
      id: "ban",
      params: { kind, value, duration: optional(duration), reason: optional(reason) },
      permission: "moderator",
      claim: "transaction",
      async run(input, ctx): Promise<BanReply> {
        const parsed = parseBanValue(input.kind, input.value);
        if (!parsed.ok) return { type: "invalid_value", kind: input.kind, value: input.value };
        const durationMs = input.duration ?? null;
        const reasonText = input.reason || null;
        return deps.db.transaction().execute(async (trx): Promise<BanReply> => {
          if (!(await claimHandledEvent(trx, ctx.eventId, ctx.now))) return { type: "already_handled" };
          const result = await addBan(trx, {
            kind: input.kind,
            value: parsed.value,
            reason: reasonText,
            expiresAt: durationMs === null ? null : new Date(ctx.now.getTime() + durationMs),
            createdBy: ctx.sender,
            now: ctx.now,
          });
          return {
            type: "banned",
            id: result.id,
            created: result.created,
            kind: input.kind,
            value: parsed.value,
            durationMs,
            reason: reasonText,
          };
        });
      },
      render: renderBanReply,
    }),
    defineCommand({
      id: "unban",
      params: { target: banTarget },
      permission: "moderator",
      claim: "after",
      async run(input): Promise<BanReply> {
        let target = input.target;
        if ("kind" in target) {
          const parsed = parseBanValue(target.kind, target.value);
          if (!parsed.ok) return { type: "invalid_value", kind: target.kind, value: target.value };
          target = { kind: target.kind, value: parsed.value };
        }
        return (await removeBan(deps.db, target)) > 0 ? { type: "lifted" } : { type: "no_such_ban" };
      },
      render: renderBanReply,
    }),
    defineCommand({
      id: "bans",
      params: {},
      permission: "moderator",
      claim: "after",
      async run(_input, ctx): Promise<BanReply> {
        return { type: "list", bans: await listBans(deps.db, { includeExpired: false, now: ctx.now }) };
      },
      render: renderBanReply,
    }),
  ];
}
