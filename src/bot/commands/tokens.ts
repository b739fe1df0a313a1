// The homeserver's registration tokens (invite links) from the room: !token create|list|show|delete|delete-all,
// through the moderation core (createInvite, listInvites, showInvite, deleteInvites). Permission "tokens":
// moderators, and whoever was given the right with !allow.
//
// Claim rule "after" for all of them, which needs each to be safe when run again for the same event:
// - create: the token string is derived from the event id (HMAC with a key kept in the bot's state), so a replay
//   asks the homeserver for the same token again, finds it, and answers with it instead of making a second one;
// - list/show change nothing; delete and delete-all end in the same state when repeated (the repeated answer is
//   dropped by the homeserver, having the same transaction id).
import { createHmac, randomBytes } from "node:crypto";
import { isAppError } from "../../errors.ts";
import {
  createInvite,
  deleteInvites,
  isTokenString,
  listInvites,
  showInvite,
  type Invalid,
  type TokenView,
} from "../../moderation/index.ts";
import type { InviteDeps } from "../../moderation/tokens.ts";
import { parseDuration } from "../../registration/duration.ts";
import type { Actor, EventId } from "../../registration/types.ts";
import { botKeys, type BotStore } from "../ports.ts";
import { renderTokenReply } from "../render/tokens.ts";
import { defineCommand, literal, optional, variadic, word, type Command } from "./framework.ts";

export interface TokenCommandDeps {
  invites: InviteDeps;
  state: BotStore;
}

export type TokenReply =
  | { type: "not_configured" }
  | { type: "invalid"; value: string }
  | { type: "created"; token: TokenView }
  | { type: "list"; tokens: TokenView[] }
  | { type: "shown"; token: TokenView }
  | { type: "no_such_token"; token: string }
  | { type: "deleted"; deleted: string[]; missing: string[] }
  | { type: "confirm_delete_all"; count: number }
  | { type: "nothing_to_confirm" }
  | { type: "deleted_all"; count: number };

const MAX_USES = 1_000_000;
const CONFIRM_WINDOW_MS = 2 * 60_000;

/** A number of uses (1 to a million), or "unlimited". Kept as typed: the core reads it again. */
const uses = word("uses", "uses", (w) => {
  if (w.toLowerCase() === "unlimited") return "unlimited";
  const n = /^\d{1,7}$/.test(w) ? Number(w) : 0;
  return n >= 1 && n <= MAX_USES ? w : undefined;
});
/** How long it stays valid ("12h", "7d"), or "never". */
const expiry = word("expiry", "expiry", (w) =>
  w.toLowerCase() === "never" || parseDuration(w) !== null ? w : undefined,
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

/** The core's refusals that are not results of their own. */
function refused(result: { reason: "not_configured" } | Invalid): TokenReply {
  return result.reason === "not_configured"
    ? { type: "not_configured" }
    : { type: "invalid", value: result.value };
}

export function tokenCommands(deps: TokenCommandDeps): Command[] {
  const { invites, state } = deps;
  return [
    defineCommand({
      id: "token create",
      params: { uses: optional(uses), expiry: optional(expiry) },
      permission: "tokens",
      claim: "after",
      async run(input, ctx): Promise<TokenReply> {
        const chosen = inviteTokenFor(await tokenKey(state, ctx.now), ctx.eventId);
        const actor: Actor = { kind: "moderator", userId: ctx.sender };
        try {
          const created = await createInvite(invites, actor, {
            token: chosen,
            uses: input.uses ?? null,
            expires: input.expiry ?? null,
          });
          return created.ok ? { type: "created", token: created.invite } : refused(created);
        } catch (error) {
          // Made by an earlier run of this same event (a replay after a restart): answer with it.
          if (!isAppError(error) || error.code !== "rejected") throw error;
          const earlier = await showInvite(invites, { token: chosen });
          if (!earlier.ok) throw error;
          return { type: "created", token: earlier.invite };
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
        const listed = await listInvites(invites, { valid: true });
        return listed.ok ? { type: "list", tokens: listed.invites } : refused(listed);
      },
      render: renderTokenReply,
    }),
    defineCommand({
      id: "token show",
      params: { token },
      permission: "tokens",
      claim: "after",
      async run(input): Promise<TokenReply> {
        const shown = await showInvite(invites, { token: input.token });
        if (shown.ok) return { type: "shown", token: shown.invite };
        return shown.reason === "not_found" ? { type: "no_such_token", token: input.token } : refused(shown);
      },
      render: renderTokenReply,
    }),
    defineCommand({
      id: "token delete",
      params: { tokens: variadic({ ...token, name: "tokens" }) },
      permission: "tokens",
      claim: "after",
      async run(input, ctx): Promise<TokenReply> {
        const result = await deleteInvites(
          invites,
          { kind: "moderator", userId: ctx.sender },
          { tokens: input.tokens },
        );
        return result.ok
          ? { type: "deleted", deleted: result.deleted, missing: result.missing }
          : refused(result);
      },
      render: renderTokenReply,
    }),
    defineCommand({
      id: "token delete-all",
      params: { confirm: optional(literal("confirm", "confirm")) },
      permission: "tokens",
      claim: "after",
      async run(input, ctx): Promise<TokenReply> {
        const key = botKeys.confirmDeleteAll(ctx.sender);
        if (input.confirm === undefined) {
          const listed = await listInvites(invites, { valid: true });
          if (!listed.ok) return refused(listed);
          // What delete-all deletes: invitations made through Vestibule (the core leaves the others alone).
          const count = listed.invites.filter((t) => t.purpose === "invite").length;
          await state.set(key, ctx.now.toISOString(), ctx.now);
          return { type: "confirm_delete_all", count };
        }
        const asked = await state.get(key);
        if (!asked || ctx.now.getTime() - new Date(asked).getTime() > CONFIRM_WINDOW_MS)
          return { type: "nothing_to_confirm" };
        await state.set(key, new Date(0).toISOString(), ctx.now);
        const result = await deleteInvites(
          invites,
          { kind: "moderator", userId: ctx.sender },
          { allInvites: true },
        );
        return result.ok ? { type: "deleted_all", count: result.deleted.length } : refused(result);
      },
      render: renderTokenReply,
    }),
  ];
}
