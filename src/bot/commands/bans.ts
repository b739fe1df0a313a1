// Bans from the moderators' room: !ban, !unban, !bans — the moderation core's addBan, liftBan and listBans, the
// same as `vestibule bans` and the portal.
//
// !ban claims its event in the ban's own transaction (claim rule "transaction"): run again after a restart it
// changes nothing and answers that it was handled. !unban and !bans are safe to run again (claim rule "after").
import type { BanDeps, LiftBanInput } from "../../moderation/bans.ts";
import { addBan, liftBan, listBans, type BanRecord } from "../../moderation/index.ts";
import { parseDuration } from "../../registration/duration.ts";
import { isBanKind, type BanKind } from "../../registration/policy.ts";
import { renderBanReply } from "../render/bans.ts";
import { defineCommand, optional, restOfLine, word, type Command, type ParamType } from "./framework.ts";

export type BanCommandDeps = BanDeps;

export type BanReply =
  | { type: "banned"; ban: BanRecord; created: boolean; durationMs: number | null }
  | { type: "invalid_value"; kind: BanKind; value: string }
  | { type: "invalid"; value: string }
  | { type: "lifted" }
  | { type: "already_handled" }
  | { type: "no_such_ban" }
  | { type: "list"; bans: BanRecord[] };

const kind = word("kind", "banKind", (w) => {
  const lower = w.toLowerCase();
  return isBanKind(lower) ? lower : undefined;
});
const value = word("value", "text", (w) => w);
/** Kept as typed for the core; the number is for the answer. */
const duration = word("duration", "duration", (w) => {
  const ms = parseDuration(w);
  return ms === null ? undefined : { text: w, ms };
});
const reason = restOfLine("reason", { max: 500, multiline: false });

/** A ban by its number ("12", "#12"), or by kind and value ("domain spam.example"). */
const banTarget: ParamType<LiftBanInput> = {
  name: "ban",
  optional: false,
  greedy: false,
  read(text, at) {
    const first = text.words[at];
    if (first === undefined) return { ok: false, problem: { type: "missing", param: "ban" } };
    if (/^#?\d{1,9}$/.test(first)) return { ok: true, value: { id: first }, used: 1 };
    const second = text.words[at + 1];
    if (isBanKind(first.toLowerCase()) && second !== undefined)
      return { ok: true, value: { kind: first.toLowerCase(), value: second }, used: 2 };
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
        const result = await addBan(
          deps,
          { kind: "moderator", userId: ctx.sender },
          {
            kind: input.kind,
            value: input.value,
            expires: input.duration?.text ?? null,
            reason: input.reason ?? null,
            handledEventId: ctx.eventId,
          },
        );
        if (result.ok)
          return {
            type: "banned",
            ban: result.ban,
            created: result.created,
            durationMs: input.duration?.ms ?? null,
          };
        if (!("field" in result)) return { type: "already_handled" };
        return result.field === "value"
          ? { type: "invalid_value", kind: input.kind, value: input.value }
          : { type: "invalid", value: result.value };
      },
      render: renderBanReply,
    }),
    defineCommand({
      id: "unban",
      params: { target: banTarget },
      permission: "moderator",
      claim: "after",
      async run(input, ctx): Promise<BanReply> {
        const result = await liftBan(deps, { kind: "moderator", userId: ctx.sender }, input.target);
        if (result.ok) return { type: "lifted" };
        if (result.reason === "not_found") return { type: "no_such_ban" };
        const target = input.target;
        return "kind" in target && result.field === "value" && isBanKind(target.kind)
          ? { type: "invalid_value", kind: target.kind, value: target.value }
          : { type: "invalid", value: result.value };
      },
      render: renderBanReply,
    }),
    defineCommand({
      id: "bans",
      params: {},
      permission: "moderator",
      claim: "after",
      async run(): Promise<BanReply> {
        return { type: "list", bans: await listBans(deps) };
      },
      render: renderBanReply,
    }),
  ];
}
