// A stand-in for the Matrix Authentication Service (MAS): the subset of its OAuth 2.0 endpoints and admin API that
// Vestibule uses, written from MAS's published documentation — the admin API OpenAPI document (docs/api/spec.json),
// docs/topics/admin-api.md and docs/topics/authorization.md, the default authorization-grant policy and the
// documented handler behaviour, as mirrored in Aug 2026 (the mirror PROTOCOLS.md names MAS 1.22.0; the spec's own
// `info.version` is empty, so the version comes from that mirror). MAS itself cannot be installed here (no package
// in the reachable registries): this is the one place where a stand-in replaces a real part (issue 12). It is not
// a MAS: it keeps its state in memory, has no browser flows, no homeserver sync and no job queue.
//
// What it answers, with MAS's shapes and status codes:
// - GET /.well-known/openid-configuration (the subset of the provider metadata clients read)
// - POST /oauth2/token: client_credentials only, client_secret_basic or client_secret_post (whichever the client
//   is configured for), scopes checked like MAS's default policy: `urn:mas:admin` only for clients listed in
//   `adminClients` (policy.data.admin_clients); `urn:synapse:admin:*` is refused for client_credentials (the
//   policy grants it to interactive grants only, because Synapse does not accept user-less tokens yet).
// - /api/admin/v1: users (create, get, by-username, list with filters and cursor pages, set-password, lock,
//   unlock, deactivate, reactivate), user-emails (add, get, list, delete), user-registration-tokens (add, get,
//   list, update, revoke, unrevoke), personal-sessions (create: the documented way to get a token with
//   `urn:synapse:admin:*`). JSON:API shapes; errors `{"errors":[{"title"}]}`; auth errors as MAS's CallContext.
// - POST /_matrix/client/v3/login: MAS's compatibility password login (what a reverse proxy routes to MAS on a
//   delegated homeserver), so a test can log in with a password that the admin API set.
// Test-only extras live on the returned handle (state, expiry events, fault injection), never on the HTTP side.
import { createHash, randomBytes, randomInt } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface MasStandinClient {
  clientId: string;
  clientSecret: string;
  /** MAS's `client_auth_method` for a static client; the other method is refused with invalid_client. */
  authMethod?: "client_secret_basic" | "client_secret_post";
}

export interface MasStandinOptions {
  clients: MasStandinClient[];
  /** `policy.data.admin_clients`: the clients allowed `urn:mas:admin` through client_credentials. */
  adminClients: string[];
  /** Lifetime of issued access tokens (MAS's default is 300 s). */
  accessTokenTtlSeconds?: number;
  /** The homeserver's server_name (compat login answers `@user:serverName`). */
  serverName?: string;
  /** Stands in for MAS's password complexity check (`minimum_password_complexity`); true = strong enough. */
  passwordStrongEnough?: (password: string) => boolean;
  /** `passwords.enabled: false` in MAS: set-password answers 403, compat password login is unsupported. */
  passwordAuthEnabled?: boolean;
  /** Stands in for MAS asking the homeserver whether a localpart is free (409 "reserved" when false). */
  isLocalpartAvailable?: (localpart: string) => boolean | Promise<boolean>;
}

export interface StandinUser {
  id: string;
  username: string;
  displayname: string | null;
  avatarUrl: string | null;
  createdAt: Date;
  lockedAt: Date | null;
  deactivatedAt: Date | null;
  admin: boolean;
  legacyGuest: boolean;
}

export interface StandinEmail {
  id: string;
  userId: string;
  email: string;
  createdAt: Date;
}

export interface StandinRegistrationToken {
  id: string;
  token: string;
  usageLimit: number | null;
  timesUsed: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  username: string | null;
  email: string | null;
  passwordless: boolean;
}

interface IssuedToken {
  token: string;
  clientId: string;
  scope: string[];
  expiresAt: Date | null;
  revoked: boolean;
  /** Personal sessions act as a user; client_credentials tokens have none. */
  actorUserId: string | null;
}

export interface TokenRequestRecord {
  clientId: string | null;
  grantType: string | null;
  scope: string;
  status: number;
}

export type InterceptAnswer = { status: number; body?: unknown } | "drop";

export interface MasStandin {
  /** Base URL; also the issuer (with a trailing slash, as MAS's `http.public_base`). */
  url: string;
  issuer: string;
  tokenRequests: TokenRequestRecord[];
  users(): StandinUser[];
  userByUsername(username: string): StandinUser | undefined;
  emailsOf(userId: string): StandinEmail[];
  registrationTokens(): StandinRegistrationToken[];
  /** Test-only: whether `password` is the user's current password (what MAS's login would check). */
  checkPassword(username: string, password: string): boolean;
  /** Test-only: what MAS's own sign-up page does with a token; false if it is not valid. */
  redeemRegistrationToken(token: string): boolean;
  /** Test-only: the access token issued last by the token endpoint (to wait for its expiry). */
  lastIssuedToken(): string | undefined;
  /** Resolves when the access token's lifetime has run out (the stand-in's own timer: an event, not a sleep). */
  tokenExpired(accessToken: string): Promise<void>;
  /** Revokes every issued token (as `mas-cli` or an operator could). */
  revokeAllTokens(): void;
  /** Answers the next `count` requests matching `match` with `answer` instead of handling them. */
  intercept(match: (method: string, path: string) => boolean, answer: InterceptAnswer, count?: number): void;
  close(): Promise<void>;
}

// ---- ULIDs (MAS's resource IDs): 48-bit milliseconds + 80 random bits, Crockford base32 ----
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lastUlidTime = -1;
let lastUlidRandom: number[] = [];
function ulid(): string {
  let time = Date.now();
  if (time <= lastUlidTime) {
    // Same millisecond: increment the random part so IDs stay strictly ordered (list pages sort by ID).
    time = lastUlidTime;
    const r = [...lastUlidRandom];
    for (let i = r.length - 1; i >= 0; i--) {
      if (r[i]! < 31) {
        r[i]!++;
        break;
      }
      r[i] = 0;
    }
    lastUlidRandom = r;
  } else {
    lastUlidTime = time;
    lastUlidRandom = Array.from({ length: 16 }, () => randomInt(32));
  }
  let timePart = "";
  for (let i = 0; i < 10; i++) {
    timePart = CROCKFORD[time % 32]! + timePart;
    time = Math.floor(time / 32);
  }
  return timePart + lastUlidRandom.map((n) => CROCKFORD[n]).join("");
}
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const NIL_ULID = "00000000000000000000000000";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function alphanumeric(length: number): string {
  return Array.from({ length }, () => ALNUM[randomInt(ALNUM.length)]).join("");
}

/** MAS's admin API username check (users/add.rs): lowercase a-z 0-9 = _ - . / +, 1–255 bytes, no `_` prefix. */
function usernameValid(username: string): boolean {
  return (
    username.length > 0 &&
    Buffer.byteLength(username) <= 255 &&
    !username.startsWith("_") &&
    /^[a-z0-9=_\-./+]+$/.test(username)
  );
}

/** Close to what MAS's email parser accepts: local@domain, both non-empty, no spaces. */
function emailValid(email: string): boolean {
  return /^[^\s@]+@[^\s@.][^\s@]*$/.test(email);
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

// ---- JSON:API helpers (docs/topics/admin-api.md "General API shape") ----
const API = "/api/admin/v1";

function resource(type: string, collection: string, id: string, attributes: unknown) {
  return { type, id, attributes, links: { self: `${API}/${collection}/${id}` } };
}

function errors(...titles: string[]) {
  return { errors: titles.map((title) => ({ title })) };
}

class HttpAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
  constructor(status: number, body: unknown, headers: Record<string, string> = {}) {
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

const fail = (status: number, ...titles: string[]) => new HttpAnswer(status, errors(...titles));

function hashPassword(salt: string, password: string): string {
  return createHash("sha256").update(salt).update("\0").update(password, "utf8").digest("hex");
}

export async function startMasStandin(options: MasStandinOptions): Promise<MasStandin> {
  const ttlSeconds = options.accessTokenTtlSeconds ?? 300;
  const serverName = options.serverName ?? "localhost";
  const passwordAuthEnabled = options.passwordAuthEnabled ?? true;
  const strongEnough = options.passwordStrongEnough ?? ((p: string) => p.length >= 8);
  const clients = new Map(options.clients.map((c) => [c.clientId, c]));

  const users = new Map<string, StandinUser>();
  const passwords = new Map<string, { salt: string; hash: string }>();
  const emails = new Map<string, StandinEmail>();
  const regTokens = new Map<string, StandinRegistrationToken>();
  const tokens = new Map<string, IssuedToken>();
  const tokenRequests: TokenRequestRecord[] = [];
  const interceptors: { match: (m: string, p: string) => boolean; answer: InterceptAnswer; left: number }[] =
    [];
  const timers = new Set<NodeJS.Timeout>();
  let lastIssued: string | undefined;
  let baseUrl = "";

  const userAttributes = (u: StandinUser) => ({
    username: u.username,
    created_at: u.createdAt.toISOString(),
    locked_at: iso(u.lockedAt),
    deactivated_at: iso(u.deactivatedAt),
    admin: u.admin,
    legacy_guest: u.legacyGuest,
  });
  const userResource = (u: StandinUser) => resource("user", "users", u.id, userAttributes(u));
  const emailResource = (e: StandinEmail) =>
    resource("user-email", "user-emails", e.id, {
      created_at: e.createdAt.toISOString(),
      user_id: e.userId,
      email: e.email,
    });
  const tokenValid = (t: StandinRegistrationToken, now = new Date()) =>
    t.revokedAt === null &&
    (t.expiresAt === null || t.expiresAt > now) &&
    (t.usageLimit === null || t.timesUsed < t.usageLimit);
  // The type string is MAS's own, underscore included.
  const regTokenResource = (t: StandinRegistrationToken) =>
    resource("user-registration_token", "user-registration-tokens", t.id, {
      token: t.token,
      valid: tokenValid(t),
      username: t.username,
      email: t.email,
      passwordless: t.passwordless,
      usage_limit: t.usageLimit,
      times_used: t.timesUsed,
      created_at: t.createdAt.toISOString(),
      last_used_at: iso(t.lastUsedAt),
      expires_at: iso(t.expiresAt),
      revoked_at: iso(t.revokedAt),
      invite_url: `${baseUrl}/invite/${encodeURIComponent(t.token)}`,
    });
  const single = (data: { links: { self: string } }, self = data.links.self) => ({ data, links: { self } });

  /** Cursor pagination as MAS's Pagination extractor and PaginatedResponse (params.rs, response.rs). */
  function paginate<T extends { id: string }>(
    items: T[],
    query: URLSearchParams,
    base: string,
    toResource: (item: T) => { id: string },
  ): HttpAnswer {
    const parseCount = (name: string): number | undefined | null => {
      const raw = query.get(name);
      if (raw === null) return undefined;
      return /^[1-9]\d*$/.test(raw) ? Number(raw) : null;
    };
    const first = parseCount("page[first]");
    const last = parseCount("page[last]");
    const after = query.get("page[after]");
    const before = query.get("page[before]");
    if (
      first === null ||
      last === null ||
      (after && !ULID_RE.test(after)) ||
      (before && !ULID_RE.test(before))
    )
      return fail(400, "Invalid pagination parameters");
    if (first !== undefined && last !== undefined)
      return fail(400, "Cannot specify both `page[first]` and `page[last]` parameters");
    const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : 1));
    const window = sorted.filter((i) => (!after || i.id > after) && (!before || i.id < before));
    const backward = last !== undefined;
    const count = first ?? last ?? 10;
    const edges = backward ? window.slice(-count) : window.slice(0, count);
    const hasNext = backward ? window.length > count || Boolean(before) : window.length > count;
    const hasPrev = backward ? window.length > count : Boolean(after);
    const link = (p: { after?: string; before?: string; first?: number; last?: number }) => {
      const q = [base.split("?")[1] ?? ""];
      if (p.before) q.push(`page[before]=${p.before}`);
      if (p.after) q.push(`page[after]=${p.after}`);
      q.push(p.last !== undefined ? `page[last]=${p.last}` : `page[first]=${p.first ?? count}`);
      return `${base.split("?")[0]}?${q.filter(Boolean).join("&")}`;
    };
    const dir = backward ? { last: count } : { first: count };
    const links: Record<string, string> = {
      self: link({ ...dir, ...(after ? { after } : {}), ...(before ? { before } : {}) }),
      first: link({ first: count }),
      last: link({ last: count }),
    };
    if (hasNext && edges.length > 0) links["next"] = link({ ...dir, after: edges.at(-1)!.id });
    if (hasPrev && edges.length > 0) links["prev"] = link({ ...dir, before: edges[0]!.id });
    const data = edges.map((e) => ({ ...toResource(e), meta: { page: { cursor: e.id } } }));
    return new HttpAnswer(200, { meta: { count: window.length }, data, links });
  }

  /** Filters as MAS's FilterParams: unknown values are a 400 "Invalid filter parameters". */
  function boolFilter(query: URLSearchParams, name: string): boolean | undefined | null {
    const raw = query.get(`filter[${name}]`);
    if (raw === null) return undefined;
    if (raw === "true") return true;
    if (raw === "false") return false;
    return null;
  }

  /** MAS's CallContext: Bearer token, known, unexpired, unrevoked, with urn:mas:admin (call_context.rs). */
  function authorize(req: IncomingMessage): IssuedToken | HttpAnswer {
    const header = req.headers.authorization;
    if (header === undefined) return fail(400, "Missing authorization header");
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match) return fail(400, "Invalid authorization header");
    const value = match[1]!;
    if (!/^(mat|mpt)_/.test(value)) return fail(401, "Invalid type of access token");
    const token = tokens.get(value);
    if (!token) return fail(401, "Unknown access token");
    if (token.revoked) return fail(401, "Access token revoked");
    if (token.expiresAt && token.expiresAt <= new Date()) return fail(401, "Access token expired");
    if (token.actorUserId && users.get(token.actorUserId)?.deactivatedAt) return fail(401, "User locked");
    if (!token.scope.includes("urn:mas:admin")) return fail(401, "Missing urn:mas:admin scope");
    return token;
  }

  /** The JSON body as axum's Json extractor takes it: 415 without the content type, 400/422 on bad input. */
  function jsonBody(
    req: IncomingMessage,
    raw: string,
    optional = false,
  ): Record<string, unknown> | HttpAnswer {
    const type = req.headers["content-type"] ?? "";
    if (optional && raw === "" && !type) return {};
    if (!/^application\/(.+\+)?json/.test(type))
      return new HttpAnswer(415, "Expected request with `Content-Type: application/json`");
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return new HttpAnswer(400, "Failed to parse the request body as JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return new HttpAnswer(422, "Failed to deserialize the JSON body into the target type");
    return parsed as Record<string, unknown>;
  }
  const shapeError = (what: string) =>
    new HttpAnswer(422, `Failed to deserialize the JSON body into the target type: ${what}`);
  const optionalString = (v: unknown) => v === undefined || v === null || typeof v === "string";
  const optionalUint = (v: unknown) =>
    v === undefined ||
    v === null ||
    (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 2 ** 32 - 1);
  const optionalDate = (v: unknown) =>
    v === undefined || v === null || (typeof v === "string" && !Number.isNaN(Date.parse(v)));

  function lookupUser(id: string): StandinUser | HttpAnswer {
    const user = users.get(id);
    return user ?? fail(404, `User ID ${id} not found`);
  }

  async function adminApi(
    req: IncomingMessage,
    method: string,
    path: string,
    query: URLSearchParams,
    raw: string,
  ): Promise<HttpAnswer> {
    const auth = authorize(req);
    if (auth instanceof HttpAnswer) return auth;
    const parts = path.slice(API.length).split("/").filter(Boolean).map(decodeURIComponent);
    const [collection, id, action] = parts;
    // Path IDs are ULIDs (UlidPathParam): anything else is a 400 before the handler runs.
    const idOk = id === undefined || ULID_RE.test(id.toUpperCase());
    const now = new Date();

    if (collection === "users") {
      if (id === "by-username" && action !== undefined && parts.length === 3 && method === "GET") {
        const user = [...users.values()].find((u) => u.username === action);
        if (!user) return fail(404, `User with username ${JSON.stringify(action)} not found`);
        return new HttpAnswer(200, single(userResource(user), `${API}/users/by-username/${action}`));
      }
      if (id === undefined && method === "POST") {
        const body = jsonBody(req, raw);
        if (body instanceof HttpAnswer) return body;
        if (typeof body["username"] !== "string") return shapeError("missing field `username`");
        if (!optionalString(body["displayname"]) || !optionalString(body["avatar_url"]))
          return shapeError("invalid type");
        const username = body["username"];
        // Same order as MAS: existing first, then syntax, then the homeserver's word.
        if ([...users.values()].some((u) => u.username === username)) return fail(409, "User already exists");
        if (!usernameValid(username)) return fail(400, "Username is not valid");
        const available = (await options.isLocalpartAvailable?.(username)) ?? true;
        if (!available && body["skip_homeserver_check"] !== true)
          return fail(409, "Username is reserved by the homeserver");
        const user: StandinUser = {
          id: ulid(),
          username,
          displayname: body["displayname"] ?? null,
          avatarUrl: body["avatar_url"] ?? null,
          createdAt: now,
          lockedAt: null,
          deactivatedAt: null,
          admin: false,
          legacyGuest: false,
        };
        users.set(user.id, user);
        return new HttpAnswer(201, single(userResource(user)));
      }
      if (id === undefined && method === "GET") {
        const admin = boolFilter(query, "admin");
        const guest = boolFilter(query, "legacy-guest");
        const status = query.get("filter[status]");
        const search = query.get("filter[search]");
        if (
          admin === null ||
          guest === null ||
          (status !== null && !["active", "locked", "deactivated"].includes(status))
        )
          return fail(400, "Invalid filter parameters");
        const list = [...users.values()].filter(
          (u) =>
            (admin === undefined || u.admin === admin) &&
            (guest === undefined || u.legacyGuest === guest) &&
            (search === null || u.username.includes(search)) &&
            (status === null ||
              (status === "active" && !u.lockedAt && !u.deactivatedAt) ||
              // "locked: Only retrieve locked users (includes deactivated users)"
              (status === "locked" && (u.lockedAt || u.deactivatedAt)) ||
              (status === "deactivated" && u.deactivatedAt)),
        );
        const filters = [...query.entries()]
          .filter(([k]) => k.startsWith("filter["))
          .map(([k, v]) => `${k}=${v}`)
          .join("&");
        return paginate(list, query, `${API}/users${filters ? `?${filters}` : ""}`, userResource);
      }
      if (!idOk) return fail(400, "Invalid ULID in path");
      const userId = id!.toUpperCase();
      if (action === undefined && method === "GET") {
        const user = lookupUser(userId);
        return user instanceof HttpAnswer ? user : new HttpAnswer(200, single(userResource(user)));
      }
      if (method === "POST" && action === "set-password") {
        if (!passwordAuthEnabled) return fail(403, "Password auth is disabled");
        const user = lookupUser(userId);
        if (user instanceof HttpAnswer) return user;
        const body = jsonBody(req, raw);
        if (body instanceof HttpAnswer) return body;
        if (typeof body["password"] !== "string") return shapeError("missing field `password`");
        const skip = body["skip_password_check"];
        if (skip !== undefined && skip !== null && typeof skip !== "boolean")
          return shapeError("invalid type");
        if (skip !== true && !strongEnough(body["password"])) return fail(400, "Password is too weak");
        const salt = randomBytes(8).toString("hex");
        passwords.set(user.id, { salt, hash: hashPassword(salt, body["password"]) });
        return new HttpAnswer(204, undefined);
      }
      if (method === "POST" && ["lock", "unlock", "deactivate", "reactivate"].includes(action ?? "")) {
        const user = lookupUser(userId);
        if (user instanceof HttpAnswer) return user;
        if (action === "deactivate") {
          const body = jsonBody(req, raw, true);
          if (body instanceof HttpAnswer) return body;
          if (body["skip_erase"] !== undefined && typeof body["skip_erase"] !== "boolean")
            return shapeError("invalid type");
          user.deactivatedAt ??= now;
          // Deactivation ends every session (the docs); the admin API's own tokens are client-owned, not the user's.
          for (const t of tokens.values()) if (t.actorUserId === user.id) t.revoked = true;
        }
        if (action === "lock") user.lockedAt ??= now;
        if (action === "unlock") user.lockedAt = null;
        if (action === "reactivate") user.deactivatedAt = null;
        return new HttpAnswer(200, single(userResource(user), `${API}/users/${user.id}/${action}`));
      }
    }

    if (collection === "user-emails") {
      if (id === undefined && method === "POST") {
        const body = jsonBody(req, raw);
        if (body instanceof HttpAnswer) return body;
        if (typeof body["user_id"] !== "string" || !ULID_RE.test(body["user_id"].toUpperCase()))
          return shapeError("user_id: invalid ULID");
        if (typeof body["email"] !== "string") return shapeError("missing field `email`");
        const user = lookupUser(body["user_id"].toUpperCase());
        if (user instanceof HttpAnswer) return user;
        const email = body["email"];
        if (!emailValid(email))
          return fail(400, `Email ${JSON.stringify(email)} is not valid`, "Missing domain or user");
        if ([...emails.values()].some((e) => e.email === email))
          return fail(409, `User email ${JSON.stringify(email)} already in use`);
        const row: StandinEmail = { id: ulid(), userId: user.id, email, createdAt: now };
        emails.set(row.id, row);
        return new HttpAnswer(201, single(emailResource(row)));
      }
      if (id === undefined && method === "GET") {
        const forUser = query.get("filter[user]");
        const forEmail = query.get("filter[email]");
        if (forUser !== null) {
          if (!ULID_RE.test(forUser.toUpperCase())) return fail(400, "Invalid filter parameters");
          if (!users.has(forUser.toUpperCase())) return fail(404, `User ID ${forUser} not found`);
        }
        const list = [...emails.values()].filter(
          (e) =>
            (forUser === null || e.userId === forUser.toUpperCase()) &&
            (forEmail === null || e.email === forEmail),
        );
        const filters = [...query.entries()]
          .filter(([k]) => k.startsWith("filter["))
          .map(([k, v]) => `${k}=${v}`)
          .join("&");
        return paginate(list, query, `${API}/user-emails${filters ? `?${filters}` : ""}`, emailResource);
      }
      if (!idOk) return fail(400, "Invalid ULID in path");
      const row = emails.get(id!.toUpperCase());
      if (action === undefined && (method === "GET" || method === "DELETE")) {
        if (!row) return fail(404, `User email ID ${id} not found`);
        if (method === "GET") return new HttpAnswer(200, single(emailResource(row)));
        emails.delete(row.id);
        return new HttpAnswer(204, undefined);
      }
    }

    if (collection === "user-registration-tokens") {
      if (id === undefined && method === "POST") {
        const body = jsonBody(req, raw);
        if (body instanceof HttpAnswer) return body;
        if (
          !optionalString(body["token"]) ||
          !optionalUint(body["usage_limit"]) ||
          !optionalDate(body["expires_at"]) ||
          !optionalString(body["username"]) ||
          !optionalString(body["email"])
        )
          return shapeError("invalid type");
        const value = body["token"] ?? alphanumeric(12);
        if ([...regTokens.values()].some((t) => t.token === value))
          return fail(409, "A registration token with the same token already exists");
        const row: StandinRegistrationToken = {
          id: ulid(),
          token: value,
          usageLimit: (body["usage_limit"] as number | null | undefined) ?? null,
          timesUsed: 0,
          createdAt: now,
          lastUsedAt: null,
          expiresAt: body["expires_at"] ? new Date(body["expires_at"] as string) : null,
          revokedAt: null,
          username: body["username"] ?? null,
          email: body["email"] ?? null,
          passwordless: body["passwordless"] === true,
        };
        regTokens.set(row.id, row);
        return new HttpAnswer(201, single(regTokenResource(row)));
      }
      if (id === undefined && method === "GET") {
        const f = {
          used: boolFilter(query, "used"),
          revoked: boolFilter(query, "revoked"),
          expired: boolFilter(query, "expired"),
          valid: boolFilter(query, "valid"),
        };
        if (Object.values(f).includes(null)) return fail(400, "Invalid filter parameters");
        const list = [...regTokens.values()].filter(
          (t) =>
            (f.used === undefined || t.timesUsed > 0 === f.used) &&
            (f.revoked === undefined || (t.revokedAt !== null) === f.revoked) &&
            (f.expired === undefined || (t.expiresAt !== null && t.expiresAt <= now) === f.expired) &&
            (f.valid === undefined || tokenValid(t, now) === f.valid),
        );
        return paginate(list, query, `${API}/user-registration-tokens`, regTokenResource);
      }
      if (!idOk) return fail(400, "Invalid ULID in path");
      const row = regTokens.get(id!.toUpperCase());
      if (!row) return fail(404, `Registration token with ID ${id} not found`);
      if (action === undefined && method === "GET") return new HttpAnswer(200, single(regTokenResource(row)));
      if (action === undefined && method === "PUT") {
        const body = jsonBody(req, raw);
        if (body instanceof HttpAnswer) return body;
        if (!optionalUint(body["usage_limit"]) || !optionalDate(body["expires_at"]))
          return shapeError("invalid type");
        // Omitted: unchanged; null: cleared (the endpoint's description).
        if ("usage_limit" in body) row.usageLimit = (body["usage_limit"] as number | null) ?? null;
        if ("expires_at" in body)
          row.expiresAt = body["expires_at"] ? new Date(body["expires_at"] as string) : null;
        return new HttpAnswer(200, single(regTokenResource(row)));
      }
      if (method === "POST" && action === "revoke") {
        if (row.revokedAt) return fail(400, `Registration token with ID ${row.id} is already revoked`);
        row.revokedAt = now;
        return new HttpAnswer(
          200,
          single(regTokenResource(row), `${API}/user-registration-tokens/${row.id}/revoke`),
        );
      }
      if (method === "POST" && action === "unrevoke") {
        if (!row.revokedAt) return fail(400, `Registration token with ID ${row.id} is not revoked`);
        row.revokedAt = null;
        return new HttpAnswer(
          200,
          single(regTokenResource(row), `${API}/user-registration-tokens/${row.id}/unrevoke`),
        );
      }
    }

    if (collection === "personal-sessions" && id === undefined && method === "POST") {
      const body = jsonBody(req, raw);
      if (body instanceof HttpAnswer) return body;
      const actor = body["actor_user_id"];
      if (typeof actor !== "string" || !ULID_RE.test(actor.toUpperCase()))
        return shapeError("actor_user_id: invalid ULID");
      if (typeof body["human_name"] !== "string" || typeof body["scope"] !== "string")
        return shapeError("missing field");
      if (!optionalUint(body["expires_in"])) return shapeError("invalid type");
      const user = users.get(actor.toUpperCase());
      if (!user) return fail(404, "User not found");
      const scope = body["scope"].split(" ").filter(Boolean);
      if (scope.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) return fail(400, "Invalid scope");
      const expiresIn = body["expires_in"] as number | null | undefined;
      const issued = issue("mpt", auth.clientId, scope, expiresIn ?? null, user.id);
      const sessionId = ulid();
      const attributes = {
        created_at: now.toISOString(),
        revoked_at: null,
        owner_user_id: null,
        owner_client_id: auth.clientId,
        actor_user_id: user.id,
        human_name: body["human_name"],
        scope: scope.join(" "),
        last_active_at: null,
        last_active_ip: null,
        expires_at: iso(issued.expiresAt),
        access_token: issued.token,
      };
      return new HttpAnswer(
        201,
        single(resource("personal-session", "personal-sessions", sessionId, attributes)),
      );
    }

    // axum answers an unknown route (or method) with an empty 404/405.
    return new HttpAnswer(404, "");
  }

  function issue(
    prefix: "mat" | "mpt",
    clientId: string,
    scope: string[],
    ttl: number | null,
    actor: string | null,
  ) {
    const value = `${prefix}_${alphanumeric(30)}_${alphanumeric(6)}`;
    const issued: IssuedToken = {
      token: value,
      clientId,
      scope,
      expiresAt: ttl === null ? null : new Date(Date.now() + ttl * 1000),
      revoked: false,
      actorUserId: actor,
    };
    tokens.set(value, issued);
    return issued;
  }

  /** The token endpoint (oauth2/token.rs): client authentication first, then the grant, then the policy. */
  function tokenEndpoint(req: IncomingMessage, raw: string): HttpAnswer {
    const oauthError = (status: number, error: string, description?: string) =>
      new HttpAnswer(
        status,
        { error, ...(description ? { error_description: description } : {}) },
        {
          "cache-control": "no-store",
        },
      );
    const form = new URLSearchParams(raw);
    const record: TokenRequestRecord = {
      clientId: null,
      grantType: form.get("grant_type"),
      scope: form.get("scope") ?? "",
      status: 0,
    };
    tokenRequests.push(record);
    const answer = (a: HttpAnswer) => {
      record.status = a.status;
      return a;
    };
    let presented: {
      id: string;
      secret: string;
      method: "client_secret_basic" | "client_secret_post";
    } | null = null;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return answer(oauthError(400, "invalid_request"));
      // RFC 6749 §2.3.1: both parts are form-urlencoded inside the Basic credentials.
      presented = {
        id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " ")),
        secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " ")),
        method: "client_secret_basic",
      };
      if (form.has("client_secret")) return answer(oauthError(400, "invalid_request"));
    } else if (form.get("client_id") !== null && form.get("client_secret") !== null) {
      presented = {
        id: form.get("client_id")!,
        secret: form.get("client_secret")!,
        method: "client_secret_post",
      };
    }
    if (!presented) return answer(oauthError(401, "invalid_client", "Client authentication failed."));
    record.clientId = presented.id;
    const client = clients.get(presented.id);
    const method = client?.authMethod ?? "client_secret_basic";
    if (!client || method !== presented.method || client.clientSecret !== presented.secret)
      return answer(oauthError(401, "invalid_client", "Client authentication failed."));
    const grantType = form.get("grant_type");
    if (grantType === null) return answer(oauthError(400, "invalid_request"));
    if (grantType !== "client_credentials") return answer(oauthError(400, "unsupported_grant_type"));
    const scope = (form.get("scope") ?? "").split(" ").filter(Boolean);
    // The default authorization_grant policy, for a client_credentials grant (no user).
    const allowed = (s: string) =>
      ["openid", "email", "urn:mas:graphql:*"].includes(s) ||
      (s === "urn:mas:admin" && options.adminClients.includes(client.clientId));
    const violations = scope.filter((s) => !allowed(s)).map((s) => `scope '${s}' not allowed`);
    if (violations.length > 0) return answer(oauthError(403, "invalid_scope", violations.join(", ")));
    const issued = issue("mat", client.clientId, scope, ttlSeconds, null);
    lastIssued = issued.token;
    return answer(
      new HttpAnswer(
        200,
        {
          access_token: issued.token,
          token_type: "Bearer",
          expires_in: ttlSeconds,
          ...(scope.length > 0 ? { scope: scope.join(" ") } : {}),
        },
        { "cache-control": "no-store", pragma: "no-cache" },
      ),
    );
  }

  /** MAS's compatibility login (compat/login.rs), password flow only. */
  function compatLogin(req: IncomingMessage, raw: string): HttpAnswer {
    const matrixError = (status: number, errcode: string, error: string) =>
      new HttpAnswer(status, { errcode, error });
    const body = jsonBody(req, raw);
    if (body instanceof HttpAnswer) return body;
    const identifier = body["identifier"] as { type?: unknown; user?: unknown } | undefined;
    if (
      !passwordAuthEnabled ||
      body["type"] !== "m.login.password" ||
      identifier?.type !== "m.id.user" ||
      typeof identifier.user !== "string" ||
      typeof body["password"] !== "string"
    )
      return matrixError(400, "M_UNRECOGNIZED", "Invalid login type");
    const localpart = identifier.user.replace(
      new RegExp(`^@(.*):${serverName.replace(/\./g, "\\.")}$`),
      "$1",
    );
    const user = [...users.values()].find((u) => u.username === localpart);
    // Locked or deactivated users count as unknown (User::is_valid), like a wrong password.
    if (!user || user.lockedAt || user.deactivatedAt || !check(user.id, body["password"]))
      return matrixError(403, "M_FORBIDDEN", "Invalid username/password");
    return new HttpAnswer(200, {
      access_token: `mct_${alphanumeric(30)}_${alphanumeric(6)}`,
      device_id: alphanumeric(10).toUpperCase(),
      user_id: `@${user.username}:${serverName}`,
    });
  }

  function check(userId: string, password: string): boolean {
    const stored = passwords.get(userId);
    return stored !== undefined && stored.hash === hashPassword(stored.salt, password);
  }

  function discovery() {
    return {
      issuer: `${baseUrl}/`,
      authorization_endpoint: `${baseUrl}/authorize`,
      token_endpoint: `${baseUrl}/oauth2/token`,
      jwks_uri: `${baseUrl}/oauth2/keys.json`,
      registration_endpoint: `${baseUrl}/oauth2/registration`,
      scopes_supported: ["openid", "email"],
      response_types_supported: ["code", "id_token", "code id_token"],
      grant_types_supported: [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
      ],
      token_endpoint_auth_methods_supported: [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
        "none",
      ],
      revocation_endpoint: `${baseUrl}/oauth2/revoke`,
      introspection_endpoint: `${baseUrl}/oauth2/introspect`,
      userinfo_endpoint: `${baseUrl}/oauth2/userinfo`,
      device_authorization_endpoint: `${baseUrl}/oauth2/device`,
      code_challenge_methods_supported: ["plain", "S256"],
      prompt_values_supported: ["login", "create"],
      account_management_uri: `${baseUrl}/account/`,
      account_management_actions_supported: [
        "org.matrix.profile",
        "org.matrix.devices_list",
        "org.matrix.device_view",
        "org.matrix.device_delete",
        "org.matrix.cross_signing_reset",
      ],
    };
  }

  async function route(req: IncomingMessage, raw: string): Promise<HttpAnswer> {
    const url = new URL(req.url ?? "/", "http://standin");
    const method = req.method ?? "GET";
    const path = url.pathname;
    if (path === "/.well-known/openid-configuration" && method === "GET")
      return new HttpAnswer(200, discovery());
    if (path === "/oauth2/token" && method === "POST") return tokenEndpoint(req, raw);
    if (/^\/_matrix\/client\/(r0|v3)\/login$/.test(path) && method === "POST") return compatLogin(req, raw);
    if (path === API || path.startsWith(`${API}/`)) return adminApi(req, method, path, url.searchParams, raw);
    return new HttpAnswer(404, "");
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const method = req.method ?? "GET";
      const path = new URL(req.url ?? "/", "http://standin").pathname;
      const hook = interceptors.find((i) => i.left > 0 && i.match(method, path));
      if (hook) {
        hook.left--;
        if (hook.answer === "drop") {
          res.socket?.destroy();
          return;
        }
        const { status, body } = hook.answer;
        res
          .writeHead(status, { "content-type": "application/json" })
          .end(body === undefined ? "" : JSON.stringify(body));
        return;
      }
      route(req, Buffer.concat(chunks).toString("utf8"))
        .catch((error: unknown) => new HttpAnswer(500, errors(String(error))))
        .then((a) => {
          const text =
            a.body === undefined ? "" : typeof a.body === "string" ? a.body : JSON.stringify(a.body);
          const type = typeof a.body === "string" ? "text/plain; charset=utf-8" : "application/json";
          res.writeHead(a.status, { ...(text ? { "content-type": type } : {}), ...a.headers }).end(text);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    url: baseUrl,
    issuer: `${baseUrl}/`,
    tokenRequests,
    users: () => [...users.values()],
    userByUsername: (username) => [...users.values()].find((u) => u.username === username),
    emailsOf: (userId) => [...emails.values()].filter((e) => e.userId === userId),
    registrationTokens: () => [...regTokens.values()],
    checkPassword(username, password) {
      const user = [...users.values()].find((u) => u.username === username);
      return user !== undefined && check(user.id, password);
    },
    redeemRegistrationToken(value) {
      const row = [...regTokens.values()].find((t) => t.token === value);
      if (!row || !tokenValid(row)) return false;
      row.timesUsed++;
      row.lastUsedAt = new Date();
      return true;
    },
    lastIssuedToken: () => lastIssued,
    tokenExpired(accessToken) {
      const issued = tokens.get(accessToken);
      if (!issued?.expiresAt) return Promise.reject(new Error("no such token, or it never expires"));
      const delay = Math.max(0, issued.expiresAt.getTime() - Date.now());
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, delay + 1);
        timers.add(timer);
      });
    },
    revokeAllTokens() {
      for (const t of tokens.values()) t.revoked = true;
    },
    intercept(match, answer, count = 1) {
      interceptors.push({ match, answer, left: count });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The ULID MAS uses in error examples for "no such thing". */
export const NIL_ID = NIL_ULID;
