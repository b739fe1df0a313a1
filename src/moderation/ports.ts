// What the moderation use cases need from storage and the homeserver; src/db and src/homeserver implement it. Each
// store is narrow (a use case gets only the one it works on), and each store's transaction hands out that store's
// writes together with the audit row, so a change and its audit row commit together or not at all.
import type { Ban, BanKind } from "../registration/policy.ts";
import type { UserId } from "../registration/types.ts";

/** The audit actions of moderation (request transitions write their own: vote, approve, decline, …). */
export type ModerationAction =
  | "ban_added"
  | "ban_lifted"
  | "token_created"
  | "token_deleted"
  | "permission_granted"
  | "permission_revoked"
  | "portal_login_issued"
  | "portal_session_opened"
  | "portal_sessions_revoked";

export interface AuditTx {
  /** One audit row (no request), in the transaction of the change it records. */
  audit(
    entry: { actor: string; action: ModerationAction; detail: Record<string, unknown> },
    now: Date,
  ): Promise<void>;
  /**
   * Records the Matrix event that asked for this change as handled, in the change's own transaction; false when
   * it already was (a replay after a restart), so the change happens once.
   */
  claimEvent(eventId: string, now: Date): Promise<boolean>;
}

export interface Transactional<Tx> {
  /** Runs `work` in one database transaction: commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

// Bans ---------------------------------------------------------------------------------------------------------

export interface BanRecord extends Ban {
  createdBy: string;
  createdAt: Date;
}

export type BanTarget = { id: number } | { kind: BanKind; value: string };

export interface BanTx extends AuditTx {
  /** Adds a ban; the ban of the same kind and value, if any, gets the new reason, expiry and creator instead. */
  upsert(
    ban: { kind: BanKind; value: string; reason: string | null; expiresAt: Date | null; createdBy: string },
    now: Date,
  ): Promise<{ ban: BanRecord; created: boolean }>;
  /** Removes the matching bans and returns them. */
  remove(target: BanTarget): Promise<BanRecord[]>;
}

export interface BanStore extends Transactional<BanTx> {
  list(filter: { includeExpired: boolean; now: Date }): Promise<BanRecord[]>;
}

// Command permissions ------------------------------------------------------------------------------------------

/** What a permission lets someone who is not a moderator do. Today only managing registration tokens. */
export type PermissionScope = "tokens";
export const permissionScopes: readonly PermissionScope[] = ["tokens"];

export interface Permission {
  /** A user ID, or the source of a regular expression matched against user IDs. */
  subject: string;
  isPattern: boolean;
  scope: PermissionScope;
  createdBy: string;
  createdAt: Date;
}

export interface PermissionTx extends AuditTx {
  /** False when the subject already had a permission (nothing changed). */
  add(permission: Omit<Permission, "createdAt">, now: Date): Promise<boolean>;
  /** The permission removed, or null when there was none. */
  remove(subject: string, scope: PermissionScope): Promise<Permission | null>;
}

export interface PermissionStore extends Transactional<PermissionTx> {
  list(scope: PermissionScope): Promise<Permission[]>;
}

// Registration tokens (invitations) ----------------------------------------------------------------------------

/** A registration token as the homeserver reports it (Synapse admin API). */
export interface RegistrationToken {
  token: string;
  usesAllowed: number | null;
  pending: number;
  completed: number;
  /** Milliseconds since the epoch, or null for never. */
  expiryTime: number | null;
}

/** The homeserver's registration-token admin API, and nothing else of it. */
export interface InviteHomeserver {
  createRegistrationToken(input: {
    token?: string;
    usesAllowed?: number | null;
    expiryTime?: number | null;
  }): Promise<RegistrationToken>;
  listRegistrationTokens(filter?: { valid?: boolean }): Promise<RegistrationToken[]>;
  getRegistrationToken(token: string): Promise<RegistrationToken | null>;
  /** False when there was no such token. */
  deleteRegistrationToken(token: string): Promise<boolean>;
}

/** Vestibule's own record of a token it created: who, why, and which accounts used it. */
export interface TokenRecord {
  token: string;
  purpose: "approval" | "invite";
  requestId: number | null;
  createdBy: string;
  note: string | null;
  usesAllowed: number | null;
  expiresAt: Date | null;
  createdAt: Date;
  deletedAt: Date | null;
  usedBy: { userId: string; usedAt: Date }[];
}

export interface InviteTx extends AuditTx {
  record(
    token: {
      token: string;
      purpose: "invite";
      createdBy: string;
      note: string | null;
      usesAllowed: number | null;
      expiresAt: Date | null;
    },
    now: Date,
  ): Promise<void>;
  markDeleted(token: string, now: Date): Promise<void>;
}

export interface InviteStore extends Transactional<InviteTx> {
  records(tokens: readonly string[]): Promise<Map<string, TokenRecord>>;
}

// Portal sign-in links and sessions ----------------------------------------------------------------------------

export type PortalTokenPurpose = "admin_login" | "admin_session";

export interface PortalTokenRecord {
  purpose: string;
  /** The moderator the link or session belongs to. */
  subject: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  /** Set when a link was used, or a session ended (sign-out or revocation). */
  usedAt: Date | null;
}

export interface StoredSession {
  hash: Uint8Array;
  subject: string;
  createdAt: Date;
  expiresAt: Date | null;
}

export type ClaimResult =
  { ok: true; subject: string | null } | { ok: false; reason: "unknown" | "expired" | "used" };

export interface PortalSessionTx extends AuditTx {
  insert(
    token: { hash: Uint8Array; purpose: PortalTokenPurpose; subject: UserId; expiresAt: Date },
    now: Date,
  ): Promise<void>;
  /** Uses a one-time link (or ends a session) only if unused and unexpired, in one statement. */
  claim(hash: Uint8Array, purpose: PortalTokenPurpose, now: Date): Promise<ClaimResult>;
  /** Ends the live sessions of one user, or of everyone (null); returns how many. */
  revokeSessions(userId: UserId | null, now: Date): Promise<number>;
}

export interface PortalSessionStore extends Transactional<PortalSessionTx> {
  find(hash: Uint8Array): Promise<PortalTokenRecord | null>;
  /** Live sessions (not ended, not expired) of one user or of everyone, newest first. */
  liveSessions(userId: UserId | null, now: Date): Promise<StoredSession[]>;
}
