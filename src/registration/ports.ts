// What the domain needs from storage. src/db implements it with Kysely; the domain never sees SQL.
import type { SideEffect } from "./side-effects.ts";
import type {
  AuditEntry,
  EmailAddress,
  Locale,
  Localpart,
  RegistrationRequest,
  RequestId,
  RequestState,
  UserId,
  Vote,
  VoteDecision,
  VoteSource,
} from "./types.ts";

export interface NewRequest {
  localpart: Localpart;
  email: EmailAddress;
  /** Counts towards "one live request per email" (registration.allowMultipleAccountsPerEmail = false). */
  emailIsExclusive: boolean;
  firstName: string;
  lastName: string;
  note: string;
  locale: Locale;
  clientIp: string | null;
  passwordCiphertext: Uint8Array | null;
  origin: "form" | "invite";
  inviteToken: string | null;
}

export type InsertRequestResult =
  { ok: true; request: RegistrationRequest } | { ok: false; conflict: "localpart" | "email" };

/** Fields a transition may change on a request. */
export interface RequestPatch {
  state?: RequestState;
  verifiedAt?: Date;
  decidedAt?: Date | null;
  decidedBy?: string | null;
  decisionReason?: string | null;
  provisionedAt?: Date;
  failedAt?: Date | null;
  failureReason?: string | null;
  userId?: UserId;
  passwordCiphertext?: null;
  roomId?: string;
  roomEventId?: string;
}

export type SecretPurpose =
  "verify_email" | "status" | "set_password" | "token_register" | "admin_login" | "admin_session";

export interface SecretTokenRecord {
  purpose: SecretPurpose;
  requestId: RequestId | null;
  subject: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  usedAt: Date | null;
}

/** The operations a transition performs inside its one transaction. */
export interface RegistrationTx {
  /** SELECT … FOR UPDATE: the row stays locked until the transaction ends. */
  lockRequest(id: RequestId): Promise<RegistrationRequest | null>;
  insertRequest(request: NewRequest, now: Date): Promise<InsertRequestResult>;
  updateRequest(id: RequestId, patch: RequestPatch, now: Date): Promise<RegistrationRequest>;

  /** Locks the token row and returns it. */
  lockSecretToken(hash: Uint8Array): Promise<SecretTokenRecord | null>;
  markSecretTokenUsed(hash: Uint8Array, now: Date): Promise<void>;
  /** Marks every unused token of that purpose for the request as used (so a fresh link replaces old ones). */
  invalidateSecretTokens(requestId: RequestId, purpose: SecretPurpose, now: Date): Promise<number>;

  listVotes(requestId: RequestId): Promise<Vote[]>;
  /** Inserts or replaces the voter's vote. */
  upsertVote(vote: Omit<Vote, "createdAt">, now: Date): Promise<void>;
  /** Removes a vote; with `eventId`, only when that vote came from that event. Returns the removed vote. */
  deleteVote(requestId: RequestId, voter: string, eventId?: string): Promise<Vote | null>;

  audit(
    entry: { requestId: RequestId | null; actor: string; action: string; detail?: Record<string, unknown> },
    now: Date,
  ): Promise<void>;
  enqueue(requestId: RequestId | null, effect: SideEffect, now: Date): Promise<void>;
  /** Records a Matrix event as handled; false when it already was (so its effect happens once). */
  claimEvent(eventId: string): Promise<boolean>;
  /** Registration tokens Vestibule created on the homeserver for this request, not yet deleted. */
  liveHomeserverTokens(requestId: RequestId): Promise<string[]>;
}

export interface RegistrationStore {
  /** Runs `work` in one database transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: RegistrationTx) => Promise<T>): Promise<T>;
  getRequest(id: RequestId): Promise<RegistrationRequest | null>;
  findRequestByRoomEvent(eventId: string): Promise<RegistrationRequest | null>;
  listRequests(filter: {
    states?: RequestState[];
    search?: string;
    limit?: number;
    offset?: number;
  }): Promise<RegistrationRequest[]>;
  listVotes(requestId: RequestId): Promise<Vote[]>;
  auditTrail(requestId: RequestId): Promise<AuditEntry[]>;
  getSecretToken(hash: Uint8Array): Promise<SecretTokenRecord | null>;
  findVoteByEvent(eventId: string): Promise<Vote | null>;
}

export type { VoteDecision, VoteSource };
