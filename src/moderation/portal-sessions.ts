// Signing in to the moderators' portal without passwords: a moderator asks for a one-time link (!login; later
// `vestibule portal link`), the link opens a session of portal.sessionHours, and every use of the session checks the
// moderator's current rights in the moderators' room. A session whose moderator lost the rights is revoked on the
// spot (with all other sessions of that moderator). Only SHA-256 digests of links and sessions are stored.
import { hashToken, isTokenShaped, randomToken } from "../crypto/tokens.ts";
import { actorLabel, parseUserId, type Actor, type UserId } from "../registration/types.ts";
import { invalid, type Invalid } from "./input.ts";
import type { PortalSessionStore } from "./ports.ts";
import type { ModeratorRights } from "./rights.ts";

export interface PortalSettings {
  /** How long a session lasts after sign-in. */
  sessionHours: number;
  /** How long a sign-in link stays usable. */
  loginMinutes: number;
  publicUrl: string;
}

export interface PortalDeps {
  portalSessions: PortalSessionStore;
  rights: Pick<ModeratorRights, "check">;
  portal: PortalSettings;
  clock: () => Date;
}

/** The actor of a revocation because the rights were found gone (no person asked for it). */
const SYSTEM_RIGHTS: Actor = { kind: "system", name: "rights" };

/** A session's public handle: a prefix of its digest, so a list can name sessions without revealing them. */
export function sessionIdOf(hash: Uint8Array): string {
  return Buffer.from(hash).toString("hex").slice(0, 12);
}

export type IssueLoginResult = { ok: true; userId: UserId; url: string; expiresAt: Date } | Invalid<"userId">;

/**
 * A one-time sign-in link for a moderator. A moderator (room or portal) gets one for themselves; an operator (CLI)
 * names the moderator with `userId`. The link is returned to be delivered privately, never logged.
 */
export async function issuePortalLogin(
  deps: Pick<PortalDeps, "portalSessions" | "portal" | "clock">,
  actor: Actor,
  input: { userId?: string } = {},
): Promise<IssueLoginResult> {
  let userId: UserId | null;
  if (actor.kind === "moderator" || actor.kind === "portal") {
    userId = actor.userId;
    if (input.userId !== undefined && input.userId !== actor.userId)
      return invalid("userId", input.userId, "a moderator can ask for a sign-in link for themselves only");
  } else {
    userId = parseUserId((input.userId ?? "").trim()) ?? null;
    if (!userId)
      return invalid("userId", input.userId ?? "", "give the moderator's user ID, like @alice:example.org");
  }
  const subject = userId;
  const now = deps.clock();
  const token = randomToken();
  const expiresAt = new Date(now.getTime() + deps.portal.loginMinutes * 60_000);
  await deps.portalSessions.transaction(async (tx) => {
    await tx.insert({ hash: hashToken(token), purpose: "admin_login", subject, expiresAt }, now);
    await tx.audit(
      {
        actor: actorLabel(actor),
        action: "portal_login_issued",
        detail: { userId: subject, expiresAt: expiresAt.toISOString() },
      },
      now,
    );
  });
  return {
    ok: true,
    userId: subject,
    url: `${deps.portal.publicUrl.replace(/\/+$/, "")}/admin/login/${token}`,
    expiresAt,
  };
}

export type LinkProblem = { ok: false; reason: "unknown" | "expired" | "used" };

/** What a sign-in link would do, without using it (the page before the button: previews must not use it up). */
export async function portalLoginOf(
  deps: Pick<PortalDeps, "portalSessions" | "clock">,
  input: { token: string },
): Promise<{ ok: true; userId: UserId } | LinkProblem> {
  if (!isTokenShaped(input.token)) return { ok: false, reason: "unknown" };
  const record = await deps.portalSessions.find(hashToken(input.token));
  const userId = record?.subject ? parseUserId(record.subject) : null;
  if (!record || record.purpose !== "admin_login" || !userId) return { ok: false, reason: "unknown" };
  if (record.usedAt) return { ok: false, reason: "used" };
  if (record.expiresAt && record.expiresAt <= deps.clock()) return { ok: false, reason: "expired" };
  return { ok: true, userId };
}

/** The rights could not be checked, or were found missing. */
export type RightsRefusal =
  | { ok: false; reason: "rights_unavailable"; userId: UserId; detail: string }
  | { ok: false; reason: "not_moderator"; userId: UserId };

export type OpenSessionResult =
  { ok: true; userId: UserId; session: string; expiresAt: Date } | LinkProblem | RightsRefusal;

/**
 * Uses a sign-in link and opens a session. The actor is whoever holds the link — known only from the link — so this
 * use case takes no actor; its audit row names the moderator the link was made for. Rights are checked before the
 * link is used: when they cannot be checked the link stays usable for a retry.
 */
export async function openPortalSession(
  deps: PortalDeps,
  input: { token: string },
): Promise<OpenSessionResult> {
  const link = await portalLoginOf(deps, input);
  if (!link.ok) return link;
  const refusal = await refuseWithoutRights(deps, link.userId);
  if (refusal) return refusal;
  const now = deps.clock();
  const session = randomToken();
  const expiresAt = new Date(now.getTime() + deps.portal.sessionHours * 3_600_000);
  return deps.portalSessions.transaction(async (tx): Promise<OpenSessionResult> => {
    // Claimed in one statement: of two concurrent submissions of the link, one opens a session.
    const claim = await tx.claim(hashToken(input.token), "admin_login", now);
    if (!claim.ok) return claim;
    await tx.insert(
      { hash: hashToken(session), purpose: "admin_session", subject: link.userId, expiresAt },
      now,
    );
    await tx.audit(
      {
        actor: actorLabel({ kind: "portal", userId: link.userId }),
        action: "portal_session_opened",
        detail: {
          userId: link.userId,
          session: sessionIdOf(hashToken(session)),
          expiresAt: expiresAt.toISOString(),
        },
      },
      now,
    );
    return { ok: true, userId: link.userId, session, expiresAt };
  });
}

/** Null when the user is a moderator now; else why not (and a lost right revokes their sessions). */
async function refuseWithoutRights(deps: PortalDeps, userId: UserId): Promise<RightsRefusal | null> {
  const rights = await deps.rights.check(userId);
  if (!rights.ok) return { ok: false, reason: "rights_unavailable", userId, detail: rights.detail };
  if (rights.moderator) return null;
  await revoke(deps, SYSTEM_RIGHTS, userId, {
    cause: "not_moderator",
    powerLevel: rights.powerLevel,
    membership: rights.membership,
  });
  return { ok: false, reason: "not_moderator", userId };
}

export type SessionResult =
  | { ok: true; userId: UserId; sessionId: string; expiresAt: Date | null }
  | { ok: false; reason: "signed_out" }
  | RightsRefusal;

/**
 * The moderator behind a session, checked against the room now. Every portal page and action starts here.
 * "signed_out" covers a missing, unknown, expired, ended or revoked session alike.
 */
export async function portalSessionOf(deps: PortalDeps, input: { token: string }): Promise<SessionResult> {
  if (!isTokenShaped(input.token)) return { ok: false, reason: "signed_out" };
  const hash = hashToken(input.token);
  const record = await deps.portalSessions.find(hash);
  const userId = record?.subject ? parseUserId(record.subject) : null;
  if (!record || record.purpose !== "admin_session" || record.usedAt || !userId)
    return { ok: false, reason: "signed_out" };
  if (record.expiresAt && record.expiresAt <= deps.clock()) return { ok: false, reason: "signed_out" };
  const refusal = await refuseWithoutRights(deps, userId);
  if (refusal) return refusal;
  return { ok: true, userId, sessionId: sessionIdOf(hash), expiresAt: record.expiresAt };
}

/**
 * Signs out of one session. Like openPortalSession it takes no actor: whoever holds the session ends it, and the
 * audit row names its moderator. Works without asking the homeserver, so signing out never depends on it.
 */
export async function endPortalSession(
  deps: Pick<PortalDeps, "portalSessions" | "clock">,
  input: { token: string },
): Promise<{ ok: true; ended: boolean }> {
  if (!isTokenShaped(input.token)) return { ok: true, ended: false };
  const hash = hashToken(input.token);
  const now = deps.clock();
  return deps.portalSessions.transaction(async (tx) => {
    const claim = await tx.claim(hash, "admin_session", now);
    const userId = claim.ok && claim.subject ? parseUserId(claim.subject) : null;
    if (!userId) return { ok: true, ended: false };
    await tx.audit(
      {
        actor: actorLabel({ kind: "portal", userId }),
        action: "portal_sessions_revoked",
        detail: { userId, count: 1, session: sessionIdOf(hash) },
      },
      now,
    );
    return { ok: true, ended: true };
  });
}

/** Whose sessions to end: every session of one moderator, or every session. */
export type RevokeSessionsInput = { userId: string } | { everyone: true };

export type RevokeSessionsResult = { ok: true; revoked: number } | Invalid<"userId">;

async function revoke(
  deps: Pick<PortalDeps, "portalSessions" | "clock">,
  actor: Actor,
  userId: UserId | null,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const now = deps.clock();
  return deps.portalSessions.transaction(async (tx) => {
    const revoked = await tx.revokeSessions(userId, now);
    if (revoked > 0)
      await tx.audit(
        {
          actor: actorLabel(actor),
          action: "portal_sessions_revoked",
          detail: { userId, count: revoked, ...extra },
        },
        now,
      );
    return revoked;
  });
}

/**
 * Ends portal sessions ("sign out everywhere", !logout-all, `vestibule portal sessions revoke`). Ending nothing is
 * not an error (revoked: 0) and writes no audit row.
 */
export async function revokePortalSessions(
  deps: Pick<PortalDeps, "portalSessions" | "clock">,
  actor: Actor,
  input: RevokeSessionsInput,
): Promise<RevokeSessionsResult> {
  if ("userId" in input) {
    const userId = parseUserId(input.userId.trim());
    if (!userId)
      return invalid("userId", input.userId, `"${input.userId}" is not a user ID (like @alice:example.org)`);
    return { ok: true, revoked: await revoke(deps, actor, userId) };
  }
  return { ok: true, revoked: await revoke(deps, actor, null) };
}

export interface PortalSessionView {
  id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date | null;
  /** The session of the token passed as `current`. */
  current: boolean;
}

/** Live sessions of one moderator (or of everyone), newest first. */
export async function listPortalSessions(
  deps: Pick<PortalDeps, "portalSessions" | "clock">,
  input: { userId?: string | null; current?: string } = {},
): Promise<{ ok: true; sessions: PortalSessionView[] } | Invalid<"userId">> {
  let userId: UserId | null = null;
  if (input.userId !== undefined && input.userId !== null) {
    userId = parseUserId(input.userId.trim()) ?? null;
    if (!userId)
      return invalid("userId", input.userId, `"${input.userId}" is not a user ID (like @alice:example.org)`);
  }
  const current =
    input.current !== undefined && isTokenShaped(input.current)
      ? sessionIdOf(hashToken(input.current))
      : null;
  const sessions = await deps.portalSessions.liveSessions(userId, deps.clock());
  return {
    ok: true,
    sessions: sessions.map((s) => {
      const id = sessionIdOf(s.hash);
      return {
        id,
        userId: s.subject,
        createdAt: s.createdAt,
        expiresAt: s.expiresAt,
        current: id === current,
      };
    }),
  };
}
