// Domain types of a registration request. Parsed once at the boundary, branded so they cannot be mixed up.

export type Brand<T, B extends string> = T & { readonly __brand: B };

/** A Matrix localpart that passed the username policy (lower case, Matrix grammar). */
export type Localpart = Brand<string, "Localpart">;
/** A normalised email address (trimmed, domain lower-cased). */
export type EmailAddress = Brand<string, "EmailAddress">;
/** A full Matrix user ID, `@localpart:server`. */
export type UserId = Brand<string, "UserId">;
/** A Matrix room ID (`!x:server`) or alias (`#x:server`). */
export type RoomId = Brand<string, "RoomId">;
/** The numeric id of a registration request, shown to moderators as `#12`. */
export type RequestId = Brand<number, "RequestId">;

export type Locale = "en" | "de";
export const locales: readonly Locale[] = ["en", "de"];

/**
 * The lifecycle (DESIGN.md):
 * unverified → pending (email verified) → approved (quorum) → provisioned (account exists);
 * pending → declined; approved → failed (permanent error or retries exhausted) → approved (retry);
 * failed → declined (a moderator gives up on it, which frees the name).
 */
export type RequestState = "unverified" | "pending" | "approved" | "provisioned" | "declined" | "failed";
export const requestStates: readonly RequestState[] = [
  "unverified",
  "pending",
  "approved",
  "provisioned",
  "declined",
  "failed",
];

/** Who did something: a Matrix user (moderator), an operator at the CLI, the system itself, or the applicant. */
export type Actor =
  | { kind: "moderator"; userId: UserId }
  | { kind: "cli"; name: string }
  | { kind: "portal"; userId: UserId }
  | { kind: "system"; name: string }
  | { kind: "applicant" };

export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case "moderator":
      return actor.userId;
    case "portal":
      return `portal:${actor.userId}`;
    case "cli":
      return `cli:${actor.name}`;
    case "system":
      return `system:${actor.name}`;
    case "applicant":
      return "applicant";
  }
}

export type VoteDecision = "approve" | "decline";
export type VoteSource = "reaction" | "command" | "cli" | "portal";

export interface RegistrationRequest {
  id: RequestId;
  state: RequestState;
  localpart: Localpart;
  /** Null once retention removed the personal data. */
  email: EmailAddress | null;
  firstName: string | null;
  lastName: string | null;
  note: string | null;
  locale: Locale;
  clientIp: string | null;
  /** The applicant typed a password on the form (collectPassword) that is still held encrypted. */
  hasPassword: boolean;
  origin: "form" | "invite";
  inviteToken: string | null;
  createdAt: Date;
  updatedAt: Date;
  verifiedAt: Date | null;
  decidedAt: Date | null;
  decidedBy: string | null;
  decisionReason: string | null;
  provisionedAt: Date | null;
  failedAt: Date | null;
  failureReason: string | null;
  userId: UserId | null;
  roomId: string | null;
  roomEventId: string | null;
  scrubbedAt: Date | null;
}

export interface Vote {
  requestId: RequestId;
  voter: UserId | string;
  decision: VoteDecision;
  source: VoteSource;
  eventId: string | null;
  reason: string | null;
  createdAt: Date;
}

export interface AuditEntry {
  id: number;
  requestId: RequestId | null;
  actor: string;
  action: string;
  detail: Record<string, unknown>;
  createdAt: Date;
}

/** The display name an account gets from the applicant's names. */
export function displayNameOf(
  request: Pick<RegistrationRequest, "firstName" | "lastName" | "localpart">,
): string {
  const name = [request.firstName, request.lastName]
    .filter((part) => part && part.trim() !== "")
    .join(" ")
    .trim();
  return name === "" ? request.localpart : name;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsers: the only places a plain value becomes a branded one. Each returns undefined for anything that is not
// one, so a caller at a boundary (a command argument, a form field, a database row, an outbox payload) must say
// what happens then.

/** Printable ASCII except ":", which the spec still accepts in historical user IDs (appendix "User Identifiers"). */
const historicalLocalpart = /^[\x21-\x39\x3B-\x7E]+$/;
/** A server name: DNS name or IPv4 address, or an IPv6 literal in brackets, with an optional port. */
const serverNamePattern = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const MAX_ID_BYTES = 255;

/** The split of an `@local:server` or `#alias:server` identifier at its first colon. */
function splitId(value: string): { local: string; server: string } | undefined {
  const colon = value.indexOf(":");
  if (colon < 2) return undefined;
  const local = value.slice(1, colon);
  const server = value.slice(colon + 1);
  return serverNamePattern.test(server) ? { local, server } : undefined;
}

/**
 * A request id as moderators and operators write it (`12`, `#12`) or as the database stores it (a number): a
 * positive safe integer.
 */
export function parseRequestId(input: unknown): RequestId | undefined {
  let value: number;
  if (typeof input === "number") value = input;
  else if (typeof input === "string" && /^#?\d{1,15}$/.test(input.trim()))
    value = Number(input.trim().replace("#", ""));
  else return undefined;
  // The column is a PostgreSQL integer: anything larger names no request (and would fail the query).
  return Number.isSafeInteger(value) && value > 0 && value <= 2_147_483_647
    ? (value as RequestId)
    : undefined;
}

/**
 * A full Matrix user ID, `@localpart:server`. Historical localparts (upper case, other printable characters) are
 * accepted, because such accounts exist and send events; new names go through the username policy instead.
 */
export function parseUserId(input: unknown): UserId | undefined {
  if (typeof input !== "string" || !input.startsWith("@")) return undefined;
  if (Buffer.byteLength(input, "utf8") > MAX_ID_BYTES) return undefined;
  const parts = splitId(input);
  if (!parts || !historicalLocalpart.test(parts.local)) return undefined;
  return input as UserId;
}

/**
 * A room ID (`!opaque:server`, or since room version 12 `!opaque` without a server) or a room alias
 * (`#alias:server`): both name a room in configuration and in the admin join API.
 */
export function parseRoomId(input: unknown): RoomId | undefined {
  if (typeof input !== "string" || Buffer.byteLength(input, "utf8") > MAX_ID_BYTES) return undefined;
  if (input.startsWith("!")) return /^![\x21-\x7E]+$/.test(input) ? (input as RoomId) : undefined;
  if (input.startsWith("#")) {
    const parts = splitId(input);
    return parts && /^[^\s:]+$/.test(parts.local) ? (input as RoomId) : undefined;
  }
  return undefined;
}

/**
 * A localpart in the grammar servers accept for new accounts (lower case `a-z 0-9 . _ = - / +`, spec v1.8). This is
 * the Matrix grammar only; the operator's policy (length, reserved names) is `checkUsername` in policy.ts.
 */
export function parseLocalpart(input: unknown): Localpart | undefined {
  if (typeof input !== "string" || !/^[a-z0-9._=\-/+]+$/.test(input)) return undefined;
  return Buffer.byteLength(input, "utf8") <= MAX_ID_BYTES ? (input as Localpart) : undefined;
}

/** The user ID of a localpart on this server. Throws only for a bug: both parts were checked before. */
export function userIdFor(localpart: string, serverName: string): UserId {
  const userId = parseUserId(`@${localpart}:${serverName}`);
  if (!userId) throw new Error(`not a valid user ID: @${localpart}:${serverName}`);
  return userId;
}

/** A Matrix event ID, `$opaque` (room v3+) or `$local:server` (older rooms). */
export type EventId = Brand<string, "EventId">;

/**
 * An event ID as events and the client-server API carry them: the sigil and printable ASCII, at most 255 bytes
 * (spec appendix "Event IDs"). Anything else, e.g. a NUL byte in a relation a client made up, is refused here,
 * before it reaches the database.
 */
export function parseEventId(input: unknown): EventId | undefined {
  if (typeof input !== "string" || input.length > MAX_ID_BYTES) return undefined;
  return /^\$[\x21-\x7E]+$/.test(input) ? (input as EventId) : undefined;
}
