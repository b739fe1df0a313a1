// Invitations: the homeserver's registration tokens (Synapse admin API), with a ready-to-share sign-up link. The
// homeserver is the truth for use counts; Vestibule adds who created each token, why, and which account used it.
// The one implementation behind !token, `vestibule tokens` and the portal's invitations page.
//
// The homeserver call cannot share the database transaction: a token is created on the homeserver first and then
// recorded (with its audit row) in one transaction. If that transaction fails, the token exists unrecorded, and
// lists show it as made outside Vestibule — never the reverse (a recorded token that does not exist).
import { randomInt } from "node:crypto";
import { actorLabel, type Actor } from "../registration/types.ts";
import { invalid, optionalLine, parseExpiry, type Invalid } from "./input.ts";
import type { InviteHomeserver, InviteStore, RegistrationToken } from "./ports.ts";

export interface InviteDeps {
  /** Null when no homeserver admin token is configured: invitations cannot be managed. */
  homeserver: InviteHomeserver | null;
  invites: InviteStore;
  publicUrl: string;
  clock: () => Date;
}

export interface TokenView extends RegistrationToken {
  /** Ready-to-share sign-up link. */
  inviteUrl: string;
  createdBy: string | null;
  note: string | null;
  purpose: "approval" | "invite" | "external";
  usedBy: { userId: string; usedAt: Date }[];
  /** Still usable: not expired and uses left. */
  valid: boolean;
}

export type NotConfigured = { ok: false; reason: "not_configured" };
const notConfigured: NotConfigured = { ok: false, reason: "not_configured" };

/** The grammar of MSC3231 tokens: 1–64 characters of [A-Za-z0-9._~-]. */
export function isTokenString(value: string): boolean {
  return /^[A-Za-z0-9._~-]{1,64}$/.test(value);
}

const tokenAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/**
 * A new token: letters and digits only (Synapse's own generator may start one with "-" or "~", which reads as an
 * option on a command line and is easy to lose when copied). 16 characters ≈ 93 bits.
 */
export function newTokenString(length = 16): string {
  let token = "";
  for (let i = 0; i < length; i++) token += tokenAlphabet[randomInt(tokenAlphabet.length)];
  return token;
}

export function inviteUrlFor(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/invite/${encodeURIComponent(token)}`;
}

function isValid(token: RegistrationToken, now: Date): boolean {
  const expired = token.expiryTime !== null && token.expiryTime <= now.getTime();
  const usedUp = token.usesAllowed !== null && token.pending + token.completed >= token.usesAllowed;
  return !expired && !usedUp;
}

async function views(deps: InviteDeps, tokens: RegistrationToken[]): Promise<TokenView[]> {
  const records = await deps.invites.records(tokens.map((t) => t.token));
  const now = deps.clock();
  return tokens.map((t) => {
    const record = records.get(t.token);
    return {
      ...t,
      inviteUrl: inviteUrlFor(deps.publicUrl, t.token),
      createdBy: record?.createdBy ?? null,
      note: record?.note ?? null,
      purpose: record?.purpose ?? "external",
      usedBy: record?.usedBy ?? [],
      valid: isValid(t, now),
    };
  });
}

const MAX_USES = 1_000_000;
const DEFAULT_EXPIRY_MS = 7 * 86_400_000;

export interface CreateInviteInput {
  /** A whole number from 1, or "unlimited"; empty/absent for one use. */
  uses?: string | number | null;
  /** A duration such as "7d", or "never"; empty/absent for 7 days. */
  expires?: string | null;
  note?: string | null;
  /**
   * The token to create, when the caller must be able to create the same one again (the bot derives it from the
   * command's event, so a replayed command finds its token instead of making a second). Random when absent.
   */
  token?: string;
}

export type CreateInviteResult =
  { ok: true; invite: TokenView } | NotConfigured | Invalid<"uses" | "expires" | "note" | "token">;

function parseUses(value: string | number | null | undefined): { uses: number | null } | undefined {
  const text = String(value ?? "")
    .trim()
    .toLowerCase();
  if (text === "") return { uses: 1 };
  if (text === "unlimited") return { uses: null };
  if (!/^\d{1,7}$/.test(text)) return undefined;
  const uses = Number(text);
  return uses >= 1 && uses <= MAX_USES ? { uses } : undefined;
}

/**
 * Creates an invitation. A homeserver that is down or refuses throws AppError ("unavailable"/"rejected"), like
 * every infrastructure failure; bad input and a missing admin token are returned.
 */
export async function createInvite(
  deps: InviteDeps,
  actor: Actor,
  input: CreateInviteInput,
): Promise<CreateInviteResult> {
  const uses = parseUses(input.uses);
  if (!uses)
    return invalid(
      "uses",
      String(input.uses ?? ""),
      `the uses must be a whole number from 1 to ${MAX_USES}, or unlimited`,
    );
  const expiry = parseExpiry(input.expires, DEFAULT_EXPIRY_MS);
  if (!expiry)
    return invalid(
      "expires",
      input.expires ?? "",
      "the expiry must be a duration such as 30m, 12h, 7d or 2w, or never",
    );
  const note = optionalLine(input.note, 500);
  if (!note.ok) return invalid("note", input.note ?? "", `the note is refused: ${note.explanation}`);
  if (input.token !== undefined && !isTokenString(input.token))
    return invalid("token", input.token, `"${input.token}" is not a registration token`);
  if (!deps.homeserver) return notConfigured;

  const now = deps.clock();
  const created = await deps.homeserver.createRegistrationToken({
    token: input.token ?? newTokenString(),
    usesAllowed: uses.uses,
    expiryTime: expiry.ms === null ? null : now.getTime() + expiry.ms,
  });
  const label = actorLabel(actor);
  const expiresAt = created.expiryTime === null ? null : new Date(created.expiryTime);
  await deps.invites.transaction(async (tx) => {
    await tx.record(
      {
        token: created.token,
        purpose: "invite",
        createdBy: label,
        note: note.value,
        usesAllowed: created.usesAllowed,
        expiresAt,
      },
      now,
    );
    await tx.audit(
      {
        actor: label,
        action: "token_created",
        detail: {
          token: created.token,
          usesAllowed: created.usesAllowed,
          expiresAt: expiresAt?.toISOString() ?? null,
          note: note.value,
        },
      },
      now,
    );
  });
  const [view] = await views(deps, [created]);
  return { ok: true, invite: view! };
}

export async function listInvites(
  deps: InviteDeps,
  input: { valid?: boolean } = {},
): Promise<{ ok: true; invites: TokenView[] } | NotConfigured> {
  if (!deps.homeserver) return notConfigured;
  const tokens = await deps.homeserver.listRegistrationTokens(
    input.valid === undefined ? {} : { valid: input.valid },
  );
  return { ok: true, invites: await views(deps, tokens) };
}

export async function showInvite(
  deps: InviteDeps,
  input: { token: string },
): Promise<
  { ok: true; invite: TokenView } | { ok: false; reason: "not_found" } | NotConfigured | Invalid<"token">
> {
  const token = input.token.trim();
  if (!isTokenString(token))
    return invalid("token", input.token, `"${input.token}" is not a registration token`);
  if (!deps.homeserver) return notConfigured;
  const found = await deps.homeserver.getRegistrationToken(token);
  if (!found) return { ok: false, reason: "not_found" };
  const [view] = await views(deps, [found]);
  return { ok: true, invite: view! };
}

/**
 * Which tokens to delete: the given ones, or every valid invitation made through Vestibule (room, CLI, portal) —
 * tokens of approved requests still waiting to register, and tokens made outside Vestibule, are left alone.
 */
export type DeleteInvitesInput = { tokens: readonly string[] } | { allInvites: true };

export type DeleteInvitesResult =
  { ok: true; deleted: string[]; missing: string[] } | NotConfigured | Invalid<"token">;

export async function deleteInvites(
  deps: InviteDeps,
  actor: Actor,
  input: DeleteInvitesInput,
): Promise<DeleteInvitesResult> {
  let tokens: string[] = [];
  if ("tokens" in input) {
    tokens = input.tokens.map((t) => t.trim());
    if (tokens.length === 0) return invalid("token", "", "name at least one token");
    const bad = tokens.find((t) => !isTokenString(t));
    if (bad !== undefined) return invalid("token", bad, `"${bad}" is not a registration token`);
  }
  const homeserver = deps.homeserver;
  if (!homeserver) return notConfigured;
  if (!("tokens" in input)) {
    const listed = await views(deps, await homeserver.listRegistrationTokens({ valid: true }));
    tokens = listed.filter((t) => t.purpose === "invite").map((t) => t.token);
  }
  const label = actorLabel(actor);
  const deleted: string[] = [];
  const missing: string[] = [];
  for (const token of new Set(tokens)) {
    const existed = await homeserver.deleteRegistrationToken(token);
    const now = deps.clock();
    await deps.invites.transaction(async (tx) => {
      await tx.markDeleted(token, now);
      if (existed) await tx.audit({ actor: label, action: "token_deleted", detail: { token } }, now);
    });
    (existed ? deleted : missing).push(token);
  }
  return { ok: true, deleted, missing };
}
