// The homeserver's registration tokens (invite links) from the room: !token create|list|show|delete|delete-all.
// Permission "tokens": moderators, and whoever was given the right with !allow.
//
// Claim rule "after" for all of them, which needs each to be safe when run again for the same event:
// - create: the token string is derived from the event id (HMAC with a key kept in the bot's state), so a replay
//   asks the homeserver for the same token again, finds it, and answers with it instead of making a second one;
// - list/show change nothing; delete and delete-all end in the same state when repeated (the repeated answer is
//   dropped by the homeserver, having the same transaction id).
import { createHmac, randomBytes } from "node:crypto";
import { isAppError } from "../../errors.ts";
import { isTokenString, type TokenService, type TokenView } from "../../homeserver/invite-tokens.ts";
import { parseDuration } from "../../registration/duration.ts";
import type { EventId } from "../../registration/types.ts";
import { botKeys, type BotStore } from "../ports.ts";
import { renderTokenReply } from "../render/tokens.ts";
import { defineCommand, literal, optional, variadic, word, type Command } from "./framework.ts";

export interface TokenCommandDeps {
  /** Absent when homeserver.adminToken is not set: the commands then say that tokens cannot be managed. */
  tokens: TokenService | undefined;
  state: BotStore;
}

export type TokenReply =
  | { type: "not_configured" }
  | { type: "created"; token: TokenView }
  | { type: "list"; tokens: TokenView[] }
  | { type: "shown"; token: TokenView }
  | { type: "no_such_token"; token: string }
  | { type: "deleted"; deleted: string[]; missing: string[] }
  | { type: "confirm_delete_all"; count: number }
  | { type: "nothing_to_confirm" }
  | { type: "deleted_all"; count: number };

const MAX_USES = 1_000_000;
const DEFAULT_USES = 1;
const DEFAULT_EXPIRY_MS = 7 * 86_400_000;
const CONFIRM_WINDOW_MS = 2 * 60_000;

/** A number of uses, or "unlimited" (null). */
const uses = word("uses", "uses", (w) => {
  if (w.toLowerCase() === "unlimited") return null;
  const n = /^\d{1,7}$/.test(w) ? Number(w) : 0;
  return n >= 1 && n <= MAX_USES ? n : undefined;
});
/** How long it stays valid ("12h", "7d"), or "never" (null). */
const expiry = word("expiry", "expiry", (w) =>
  w.toLowerCase() === "never" ? null : (parseDuration(w) ?? undefined),
);
const token = word("token", "token", (w) => (isTokenString(w) ? w : undefined));

const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/** The token `!token create` makes for this event: 16 letters and digits, unguessable without the key. */
export function inviteTokenFor(key: string, eventId: EventId): string {
  const digest = createHmac("sha256", key).update(eventId).digest();
  return Array.from(digest.subarray(0, 16), (byte) => alphabet[byte % alphabet.length]).join("");
}

async function tokenKey(state: BotStore, now: Date): Promise<string> {
  const existing = await state.get(botKeys.inviteTokenKey);
  if (existing) return existing;
  const key = randomBytes(32).toString("base64url");
  await state.set(botKeys.inviteTokenKey, key, now);
  return key;
}

export function tokenCommands(deps: TokenCommandDeps): Command[] {
  const { state } = deps;
  return [
    defineCommand({
      id: "token create",
      params: { uses: optional(uses), expiry: optional(expiry) },
      permission: "tokens",
      claim: "after",
      async run(input, ctx): Promise<TokenReply> {
        if (!deps.tokens) return { type: "not_configured" };
        const chosen = inviteTokenFor(await tokenKey(state, ctx.now), ctx.eventId);
        try {
          const created = await deps.tokens.create({
            token: chosen,
            usesAllowed: input.uses === undefined ? DEFAULT_USES : input.uses,
            expiresInMs: input.expiry === undefined ? DEFAULT_EXPIRY_MS : input.expiry,
            note: null,
            createdBy: ctx.sender,
          });
          return { type: "created", token: created };
        } catch (error) {
          // Made by an earlier run of this same event (a replay after a restart): answer with it.
          const earlier =
            isAppError(error) && error.code === "rejected" ? await deps.tokens.show(chosen) : null;
          if (!earlier) throw error;
          return { type: "created", token: earlier };
        }
      },
      render: renderTokenReply,
    }),
    defineCommand({
      id: "token list",
      params: {},
      permission: "tokens",
      claim: "after",
      async run(): Promise<TokenReply> {
        if (!deps.tokens) return { type: "not_configured" };
        return { type: "list", tokens: await deps.tokens.list({ valid: true }) };
      },
      render: renderTokenReply,
    }),
    defineCommand({
      id: "token show",
      params: { token },
      permission: "tokens",
      claim: "after",
      async run(input): Promise<TokenReply> {
        if (!deps.tokens) return { type: "not_configured" };
        const shown = await deps.tokens.show(input.token);
        return shown ? { type: "shown", token: shown } : { type: "no_such_token", token: input.token };
      },
      render: renderTokenReply,
    }),
    defineCommand({
      id: "token delete",
      params: { tokens: variadic({ ...token, name: "tokens" }) },
      permission: "tokens",
      claim: "after",
      async run(input): Promise<TokenReply> {
        if (!deps.tokens) return { type: "not_configured" };
        return { type: "deleted", ...(await deps.tokens.delete(input.tokens)) };
      },
      render: renderTokenReply,
    }),
    defineCommand({
      id: "token delete-all",
      params: { confirm: optional(literal("confirm", "confirm")) },
      permission: "tokens",
      claim: "after",
      async run(input, ctx): Promise<TokenReply> {
        const tokens = deps.tokens;
        if (!tokens) return { type: "not_configured" };
        const key = botKeys.confirmDeleteAll(ctx.sender);
        // The invitations made through Vestibule (room, CLI, portal); tokens of approved requests still waiting
        // to register, and tokens made outside Vestibule, are left alone.
        const deletable = async () =>
          (await tokens.list({ valid: true })).filter((t) => t.purpose === "invite");
        if (input.confirm === undefined) {
          const count = (await deletable()).length;
          await state.set(key, ctx.now.toISOString(), ctx.now);
          return { type: "confirm_delete_all", count };
        }
        const asked = await state.get(key);
        if (!asked || ctx.now.getTime() - new Date(asked).getTime() > CONFIRM_WINDOW_MS)
          return { type: "nothing_to_confirm" };
        await state.set(key, new Date(0).toISOString(), ctx.now);
        const result = await tokens.delete((await deletable()).map((t) => t.token));
        return { type: "deleted_all", count: result.deleted.length };
      },
      render: renderTokenReply,
    }),
  ];
}
