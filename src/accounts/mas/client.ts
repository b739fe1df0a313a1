// A typed client for the part of MAS's admin API (/api/admin/v1, MAS docs/api/spec.json) that Vestibule uses: users,
// their emails and passwords, registration tokens for MAS's own sign-up page, and personal sessions (the documented
// way to a token with `urn:synapse:admin:*`, which MAS's default policy never grants to a client-credentials token).
//
// Every answer is checked with zod. Expected refusals (a taken username, an email in use, a weak password) come back
// as values; everything else is an AppError mapped like the homeserver transport (src/homeserver/http.ts): 5xx, 429
// and network failures are "unavailable" (may pass), 404 "not_found", other 409s "conflict", other 4xx "rejected".
// A 401 means MAS no longer accepts the admin token (revoked, or expired early): the token is dropped and the call
// made once more with a fresh one.
import { z } from "zod";
import { AppError } from "../../errors.ts";
import {
  clientCredentialsTokenSource,
  type AccessTokenSource,
  type ClientAuthMethod,
  type MasLog,
} from "./token.ts";

export interface MasUser {
  /** MAS's ULID for the user (not the Matrix ID). */
  id: string;
  /** The localpart. */
  username: string;
  createdAt: Date;
  lockedAt: Date | null;
  deactivatedAt: Date | null;
  /** Whether the user may request admin scopes. */
  admin: boolean;
  legacyGuest: boolean;
}

export interface MasUserEmail {
  id: string;
  userId: string;
  email: string;
  createdAt: Date;
}

export interface MasRegistrationToken {
  id: string;
  token: string;
  valid: boolean;
  usageLimit: number | null;
  timesUsed: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** Username and email the token imposes (newer MAS versions; null elsewhere). */
  username: string | null;
  email: string | null;
}

export interface MasPersonalSession {
  id: string;
  /** The personal access token (`mpt_…`): a secret, shown once. */
  accessToken: string;
  actorUserId: string;
  scope: string[];
  expiresAt: Date | null;
}

export interface MasPage<T> {
  items: T[];
  /** Total matching items (`meta.count`). */
  count: number;
  /** Cursor for `after` when there is a next page. */
  nextCursor: string | undefined;
}

export interface PageRequest {
  /** Page size (MAS's default is 10). */
  first?: number;
  after?: string;
}

export type CreateUserResult =
  { ok: true; user: MasUser } | { ok: false; reason: "exists" | "reserved" | "invalid" };

export type AddEmailResult = { ok: true; email: MasUserEmail } | { ok: false; reason: "in_use" | "invalid" };

export type SetPasswordResult = { ok: true } | { ok: false; reason: "weak" };

export interface MasAdminClient {
  getUser(id: string): Promise<MasUser | null>;
  getUserByUsername(username: string): Promise<MasUser | null>;
  listUsers(
    filter?: { status?: "active" | "locked" | "deactivated"; admin?: boolean; search?: string },
    page?: PageRequest,
  ): Promise<MasPage<MasUser>>;
  /** Older MAS versions (before 1.18, PROTOCOLS.md §6) ignore `displayname`; the answer does not say. */
  createUser(input: {
    username: string;
    displayname?: string;
    avatarUrl?: string;
    skipHomeserverCheck?: boolean;
  }): Promise<CreateUserResult>;
  setPassword(
    userId: string,
    password: string,
    options?: { skipCheck?: boolean },
  ): Promise<SetPasswordResult>;
  lockUser(userId: string): Promise<MasUser | null>;
  unlockUser(userId: string): Promise<MasUser | null>;
  /** Ends the user's sessions and asks the homeserver to deactivate (and by default erase) the Matrix account. */
  deactivateUser(userId: string, options?: { skipErase?: boolean }): Promise<MasUser | null>;
  reactivateUser(userId: string): Promise<MasUser | null>;
  addEmail(userId: string, email: string): Promise<AddEmailResult>;
  listEmails(filter: { userId?: string; email?: string }, page?: PageRequest): Promise<MasPage<MasUserEmail>>;
  /** False when there was no such email. */
  deleteEmail(id: string): Promise<boolean>;
  createRegistrationToken(input: {
    token?: string;
    usageLimit?: number;
    expiresAt?: Date;
    username?: string;
    email?: string;
  }): Promise<{ ok: true; token: MasRegistrationToken } | { ok: false; reason: "exists" }>;
  getRegistrationToken(id: string): Promise<MasRegistrationToken | null>;
  listRegistrationTokens(
    filter?: { valid?: boolean; used?: boolean; revoked?: boolean; expired?: boolean },
    page?: PageRequest,
  ): Promise<MasPage<MasRegistrationToken>>;
  /** `null` clears a limit; an omitted field stays as it is. */
  updateRegistrationToken(
    id: string,
    fields: { usageLimit?: number | null; expiresAt?: Date | null },
  ): Promise<MasRegistrationToken | null>;
  /** Idempotent: revoking a revoked token answers the token as it is. Null when there is no such token. */
  revokeRegistrationToken(id: string): Promise<MasRegistrationToken | null>;
  unrevokeRegistrationToken(id: string): Promise<MasRegistrationToken | null>;
  createPersonalSession(input: {
    actorUserId: string;
    humanName: string;
    scopes: readonly string[];
    expiresInSeconds?: number;
  }): Promise<MasPersonalSession>;
  /** Gets a token and asks for one user: proves the URL, the credentials and the admin scope. */
  checkHealth(): Promise<{ ok: true } | { ok: false; error: string }>;
}

export interface MasAdminClientOptions {
  /** Where MAS serves the admin API (the `adminapi` resource; MAS's public base unless it is on its own listener). */
  url: string;
  tokens: AccessTokenSource;
  timeoutMs?: number;
  fetch?: typeof fetch;
  log?: MasLog;
}

// ---- response schemas (components/schemas in MAS's spec) ----
const ulid = z.string().regex(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i, "not a ULID");
const dateTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), "not a date-time")
  .transform((s) => new Date(s));
const nullableDate = dateTime
  .nullable()
  .optional()
  .transform((d) => d ?? null);

const userAttributes = z
  .object({
    username: z.string(),
    created_at: dateTime,
    locked_at: nullableDate,
    deactivated_at: nullableDate,
    // `admin` in current MAS; `can_request_admin` in older versions (docs/topics/admin-api.md's sample still has it).
    admin: z.boolean().optional(),
    can_request_admin: z.boolean().optional(),
    legacy_guest: z.boolean().optional(),
  })
  .transform((a) => ({
    username: a.username,
    createdAt: a.created_at,
    lockedAt: a.locked_at,
    deactivatedAt: a.deactivated_at,
    admin: a.admin ?? a.can_request_admin ?? false,
    legacyGuest: a.legacy_guest ?? false,
  }));

const emailAttributes = z
  .object({ created_at: dateTime, user_id: ulid, email: z.string() })
  .transform((a) => ({ createdAt: a.created_at, userId: a.user_id.toUpperCase(), email: a.email }));

const tokenAttributes = z
  .object({
    token: z.string(),
    valid: z.boolean(),
    usage_limit: z.number().int().nonnegative().nullable().optional(),
    times_used: z.number().int().nonnegative(),
    created_at: dateTime,
    last_used_at: nullableDate,
    expires_at: nullableDate,
    revoked_at: nullableDate,
    username: z.string().nullable().optional(),
    email: z.string().nullable().optional(),
  })
  .transform((a) => ({
    token: a.token,
    valid: a.valid,
    usageLimit: a.usage_limit ?? null,
    timesUsed: a.times_used,
    createdAt: a.created_at,
    lastUsedAt: a.last_used_at,
    expiresAt: a.expires_at,
    revokedAt: a.revoked_at,
    username: a.username ?? null,
    email: a.email ?? null,
  }));

const personalSessionAttributes = z.object({
  actor_user_id: ulid,
  scope: z.string(),
  expires_at: nullableDate,
  access_token: z.string().min(1),
});

interface Resource<T> {
  id: string;
  attributes: T;
}

function resourceOf<T>(attributes: z.ZodType<T>): z.ZodType<Resource<T>> {
  return z.object({ type: z.string(), id: ulid, attributes });
}
function singleOf<T>(attributes: z.ZodType<T>): z.ZodType<{ data: Resource<T> }> {
  return z.object({ data: resourceOf(attributes) });
}
function pageOf<T>(attributes: z.ZodType<T>) {
  return z.object({
    meta: z.object({ count: z.number().int().nonnegative() }).nullable().optional(),
    data: z.array(resourceOf(attributes)).nullable().optional(),
    links: z.object({ next: z.string().nullable().optional() }).optional(),
  });
}

const errorBody = z.object({ errors: z.array(z.object({ title: z.string() })) });

interface Answer {
  status: number;
  body: unknown;
  titles: string[];
  retryAfterMs: number | undefined;
}

const enc = encodeURIComponent;

/** Path shown in logs and errors: IDs and usernames yes, query strings (filters may carry emails) no. */
function shownPath(path: string): string {
  return path.split("?")[0]!;
}

export function createMasAdminClient(options: MasAdminClientOptions): MasAdminClient {
  const base = `${options.url.replace(/\/+$/, "")}/api/admin/v1`;
  const fetchFn = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function once(method: string, path: string, token: string, body: unknown): Promise<Answer> {
    const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetchFn(`${base}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(timeoutMs),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
      throw new AppError(
        "unavailable",
        timedOut
          ? `MAS did not answer ${method} ${shownPath(path)} within ${timeoutMs} ms`
          : `MAS unreachable (${method} ${shownPath(path)}${cause})`,
        { publicMessage: "The account service is not reachable right now.", detail: { timeout: timedOut } },
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new AppError("unavailable", `MAS answer to ${method} ${shownPath(path)} was cut off`);
    }
    let parsed: unknown = undefined;
    if (text.trim() !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        // axum's own rejections (415, 422) and proxies answer plain text: keep the start of it as the title.
        parsed = { errors: [{ title: text.slice(0, 200) }] };
      }
    }
    const errs = errorBody.safeParse(parsed);
    const retryAfter = response.headers.get("retry-after");
    return {
      status: response.status,
      body: parsed,
      titles: errs.success ? errs.data.errors.map((e) => e.title) : [],
      retryAfterMs: retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined,
    };
  }

  /** One call; a 401 drops the token and tries once more with a new one (MAS checks auth before anything else). */
  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    let token = await options.tokens.get();
    let answer = await once(method, path, token, body);
    if (answer.status === 401) {
      options.log?.warn(
        { method, path: shownPath(path), reason: answer.titles[0] ?? "" },
        "MAS refused the admin token; getting a new one",
      );
      options.tokens.invalidate(token);
      token = await options.tokens.get();
      answer = await once(method, path, token, body);
    }
    return answer;
  }

  function errorFor(method: string, path: string, answer: Answer): AppError {
    const title = answer.titles.join(": ") || `HTTP ${answer.status}`;
    const what = `${method} ${shownPath(path)}: ${answer.status} ${title}`;
    const detail: Record<string, unknown> = { status: answer.status, titles: answer.titles };
    if (answer.status === 429 || answer.status >= 500) {
      if (answer.retryAfterMs !== undefined) detail["retryAfterMs"] = answer.retryAfterMs;
      return new AppError("unavailable", `MAS failed ${what}`, { detail });
    }
    if (answer.status === 401 || answer.status === 403)
      return new AppError("forbidden", `MAS refused ${what}`, { detail });
    if (answer.status === 404) return new AppError("not_found", `MAS: ${what}`, { detail });
    if (answer.status === 409)
      return new AppError("conflict", `MAS conflict on ${what}`, { detail, publicMessage: title });
    return new AppError("rejected", `MAS rejected ${what}`, { detail, publicMessage: title });
  }

  function parse<S extends z.ZodType>(schema: S, method: string, path: string, answer: Answer): z.output<S> {
    const result = schema.safeParse(answer.body);
    if (!result.success) {
      // Name the fields, never the values (they may be emails or tokens).
      const where = result.error.issues.map((i) => i.path.join(".") || "(body)").join(", ");
      throw new AppError(
        "internal",
        `MAS answered ${method} ${shownPath(path)} with an unexpected body (${where})`,
      );
    }
    return result.data;
  }

  const ok = (status: number) => status >= 200 && status < 300;

  /** A call that answers one resource, or null on 404. */
  async function resourceOrNull<T>(
    method: string,
    path: string,
    attributes: z.ZodType<T>,
    body?: unknown,
  ): Promise<Resource<T> | null> {
    const answer = await call(method, path, body);
    if (answer.status === 404) return null;
    if (!ok(answer.status)) throw errorFor(method, path, answer);
    const data = parse(singleOf(attributes), method, path, answer).data;
    return { id: data.id.toUpperCase(), attributes: data.attributes };
  }

  async function page<A, T extends { id: string }>(
    path: string,
    query: URLSearchParams,
    request: PageRequest | undefined,
    attributes: z.ZodType<A>,
    build: (id: string, attributes: A) => T,
  ): Promise<MasPage<T>> {
    if (request?.first !== undefined) query.set("page[first]", String(request.first));
    if (request?.after !== undefined) query.set("page[after]", request.after);
    const full = `${path}${query.size > 0 ? `?${query.toString()}` : ""}`;
    const answer = await call("GET", full);
    if (!ok(answer.status)) throw errorFor("GET", full, answer);
    const body = parse(pageOf(attributes), "GET", full, answer);
    const items = (body.data ?? []).map((r) => build(r.id.toUpperCase(), r.attributes));
    const next = body.links?.next;
    return {
      items,
      count: body.meta?.count ?? items.length,
      // MAS only sends `next` when there is a next page; its cursor is the last item's ID.
      nextCursor: next ? items.at(-1)?.id : undefined,
    };
  }

  const toUser = (id: string, a: z.output<typeof userAttributes>): MasUser => ({ id, ...a });
  const toEmail = (id: string, a: z.output<typeof emailAttributes>): MasUserEmail => ({ id, ...a });
  const toToken = (id: string, a: z.output<typeof tokenAttributes>): MasRegistrationToken => ({ id, ...a });

  async function userAction(userId: string, action: string, body?: unknown): Promise<MasUser | null> {
    const r = await resourceOrNull("POST", `/users/${enc(userId)}/${action}`, userAttributes, body);
    return r ? toUser(r.id, r.attributes) : null;
  }

  async function tokenAction(
    id: string,
    action: "revoke" | "unrevoke",
  ): Promise<MasRegistrationToken | null> {
    const path = `/user-registration-tokens/${enc(id)}/${action}`;
    const answer = await call("POST", path);
    if (answer.status === 404) return null;
    // 400 "already revoked" / "not revoked": the token is already in the wanted state.
    if (answer.status === 400) return client.getRegistrationToken(id);
    if (!ok(answer.status)) throw errorFor("POST", path, answer);
    const data = parse(singleOf(tokenAttributes), "POST", path, answer).data;
    return toToken(data.id.toUpperCase(), data.attributes);
  }

  const client: MasAdminClient = {
    async getUser(id) {
      const r = await resourceOrNull("GET", `/users/${enc(id)}`, userAttributes);
      return r ? toUser(r.id, r.attributes) : null;
    },

    async getUserByUsername(username) {
      const r = await resourceOrNull("GET", `/users/by-username/${enc(username)}`, userAttributes);
      return r ? toUser(r.id, r.attributes) : null;
    },

    listUsers(filter = {}, request) {
      const query = new URLSearchParams();
      if (filter.status) query.set("filter[status]", filter.status);
      if (filter.admin !== undefined) query.set("filter[admin]", String(filter.admin));
      if (filter.search) query.set("filter[search]", filter.search);
      return page("/users", query, request, userAttributes, toUser);
    },

    async createUser(input) {
      const body: Record<string, unknown> = { username: input.username };
      if (input.displayname !== undefined) body["displayname"] = input.displayname;
      if (input.avatarUrl !== undefined) body["avatar_url"] = input.avatarUrl;
      if (input.skipHomeserverCheck) body["skip_homeserver_check"] = true;
      const answer = await call("POST", "/users", body);
      if (answer.status === 409) {
        if (answer.titles.includes("User already exists")) return { ok: false, reason: "exists" };
        if (answer.titles.includes("Username is reserved by the homeserver"))
          return { ok: false, reason: "reserved" };
      }
      if (answer.status === 400 && answer.titles.includes("Username is not valid"))
        return { ok: false, reason: "invalid" };
      // 201 today; 200 in MAS versions before the spec said 201.
      if (!ok(answer.status)) throw errorFor("POST", "/users", answer);
      const data = parse(singleOf(userAttributes), "POST", "/users", answer).data;
      return { ok: true, user: toUser(data.id.toUpperCase(), data.attributes) };
    },

    async setPassword(userId, password, setOptions = {}) {
      const path = `/users/${enc(userId)}/set-password`;
      const body: Record<string, unknown> = { password };
      if (setOptions.skipCheck) body["skip_password_check"] = true;
      const answer = await call("POST", path, body);
      if (answer.status === 204 || answer.status === 200) return { ok: true };
      if (answer.status === 400 && answer.titles.includes("Password is too weak"))
        return { ok: false, reason: "weak" };
      if (answer.status === 403)
        throw new AppError(
          "config",
          "MAS has password authentication disabled (passwords.enabled): it cannot set passwords",
          {
            detail: { status: 403, titles: answer.titles },
          },
        );
      throw errorFor("POST", path, answer);
    },

    lockUser: (userId) => userAction(userId, "lock"),
    unlockUser: (userId) => userAction(userId, "unlock"),
    reactivateUser: (userId) => userAction(userId, "reactivate"),
    deactivateUser(userId, deactivateOptions = {}) {
      // No body means "erase" in every MAS version. To keep the Matrix account's profile, current MAS reads
      // `skip_erase`, versions before it read `erase` (and refuse a body without it): send both, each ignores
      // the other's field.
      return userAction(
        userId,
        "deactivate",
        deactivateOptions.skipErase ? { skip_erase: true, erase: false } : undefined,
      );
    },

    async addEmail(userId, email) {
      const answer = await call("POST", "/user-emails", { user_id: userId, email });
      if (answer.status === 409) return { ok: false, reason: "in_use" };
      if (answer.status === 400) return { ok: false, reason: "invalid" };
      if (!ok(answer.status)) throw errorFor("POST", "/user-emails", answer);
      const data = parse(singleOf(emailAttributes), "POST", "/user-emails", answer).data;
      return { ok: true, email: toEmail(data.id.toUpperCase(), data.attributes) };
    },

    listEmails(filter, request) {
      const query = new URLSearchParams();
      if (filter.userId) query.set("filter[user]", filter.userId);
      if (filter.email) query.set("filter[email]", filter.email);
      return page("/user-emails", query, request, emailAttributes, toEmail);
    },

    async deleteEmail(id) {
      const path = `/user-emails/${enc(id)}`;
      const answer = await call("DELETE", path);
      if (answer.status === 404) return false;
      if (!ok(answer.status)) throw errorFor("DELETE", path, answer);
      return true;
    },

    async createRegistrationToken(input) {
      const body: Record<string, unknown> = {};
      if (input.token !== undefined) body["token"] = input.token;
      if (input.usageLimit !== undefined) body["usage_limit"] = input.usageLimit;
      if (input.expiresAt !== undefined) body["expires_at"] = input.expiresAt.toISOString();
      if (input.username !== undefined) body["username"] = input.username;
      if (input.email !== undefined) body["email"] = input.email;
      const path = "/user-registration-tokens";
      const answer = await call("POST", path, body);
      if (answer.status === 409) return { ok: false, reason: "exists" };
      if (!ok(answer.status)) throw errorFor("POST", path, answer);
      const data = parse(singleOf(tokenAttributes), "POST", path, answer).data;
      return { ok: true, token: toToken(data.id.toUpperCase(), data.attributes) };
    },

    async getRegistrationToken(id) {
      const r = await resourceOrNull("GET", `/user-registration-tokens/${enc(id)}`, tokenAttributes);
      return r ? toToken(r.id, r.attributes) : null;
    },

    listRegistrationTokens(filter = {}, request) {
      const query = new URLSearchParams();
      for (const key of ["valid", "used", "revoked", "expired"] as const)
        if (filter[key] !== undefined) query.set(`filter[${key}]`, String(filter[key]));
      return page("/user-registration-tokens", query, request, tokenAttributes, toToken);
    },

    async updateRegistrationToken(id, fields) {
      const body: Record<string, unknown> = {};
      if (fields.usageLimit !== undefined) body["usage_limit"] = fields.usageLimit;
      if (fields.expiresAt !== undefined) body["expires_at"] = fields.expiresAt?.toISOString() ?? null;
      const r = await resourceOrNull("PUT", `/user-registration-tokens/${enc(id)}`, tokenAttributes, body);
      return r ? toToken(r.id, r.attributes) : null;
    },

    revokeRegistrationToken: (id) => tokenAction(id, "revoke"),
    unrevokeRegistrationToken: (id) => tokenAction(id, "unrevoke"),

    async createPersonalSession(input) {
      const body: Record<string, unknown> = {
        actor_user_id: input.actorUserId,
        human_name: input.humanName,
        scope: input.scopes.join(" "),
      };
      if (input.expiresInSeconds !== undefined) body["expires_in"] = input.expiresInSeconds;
      const path = "/personal-sessions";
      const answer = await call("POST", path, body);
      if (!ok(answer.status)) throw errorFor("POST", path, answer);
      const data = parse(singleOf(personalSessionAttributes), "POST", path, answer).data;
      return {
        id: data.id.toUpperCase(),
        accessToken: data.attributes.access_token,
        actorUserId: data.attributes.actor_user_id.toUpperCase(),
        scope: data.attributes.scope.split(" ").filter(Boolean),
        expiresAt: data.attributes.expires_at,
      };
    },

    async checkHealth() {
      try {
        await client.listUsers({}, { first: 1 });
        return { ok: true };
      } catch (error) {
        return { ok: false, error: error instanceof AppError ? error.message : String(error) };
      }
    },
  };
  return client;
}

/** The MAS settings the client needs (the `homeserver.mas` config slice is the acct helper's to define). */
export interface MasClientConfig {
  /** Where MAS serves the admin API. */
  url: string;
  /** MAS's issuer; defaults to `url` (MAS's public base is its issuer unless configured otherwise). */
  issuer?: string | undefined;
  /** Skips discovery when set. */
  tokenEndpoint?: string | undefined;
  clientId: string;
  clientSecret: string;
  authMethod?: ClientAuthMethod | undefined;
  requestTimeoutMs?: number | undefined;
}

/** Scopes Vestibule asks for: MAS's admin API only (the default policy refuses urn:synapse:admin:* here). */
export const MAS_ADMIN_SCOPES = ["urn:mas:admin"] as const;

/** A client authenticated by client credentials, from the MAS settings. */
export function masAdminClientFor(
  config: MasClientConfig,
  extra: { fetch?: typeof fetch; log?: MasLog } = {},
): MasAdminClient {
  const tokens = clientCredentialsTokenSource({
    issuer: config.tokenEndpoint ? undefined : (config.issuer ?? config.url),
    tokenEndpoint: config.tokenEndpoint,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    authMethod: config.authMethod,
    scopes: MAS_ADMIN_SCOPES,
    timeoutMs: config.requestTimeoutMs,
    fetch: extra.fetch,
    log: extra.log,
  });
  return createMasAdminClient({
    url: config.url,
    tokens,
    ...(config.requestTimeoutMs !== undefined ? { timeoutMs: config.requestTimeoutMs } : {}),
    ...(extra.fetch ? { fetch: extra.fetch } : {}),
    ...(extra.log ? { log: extra.log } : {}),
  });
}
