// The Synapse client: admin API (PROTOCOLS.md §1) and the client API calls Vestibule needs (§2), over fetch with a
// timeout on every call. Expected refusals come back as values; a homeserver that is away throws
// AppError("unavailable") so callers retry.
import { createHmac, randomBytes } from "node:crypto";
import { AppError } from "../errors.ts";
import { errorFor, isOk, request, type HttpOptions, type HttpResult, type MatrixErrorBody } from "./http.ts";

export type Availability =
  { available: true } | { available: false; reason: "taken" | "invalid" | "exclusive" };

export interface SynapseUser {
  name: string;
  displayname: string | null;
  threepids: { medium: string; address: string }[];
  admin: boolean;
  deactivated: boolean;
  locked: boolean;
  externalIds: { authProvider: string; externalId: string }[];
  creationTs: number | null;
}

export interface RegistrationToken {
  token: string;
  usesAllowed: number | null;
  pending: number;
  completed: number;
  /** Milliseconds since the epoch, or null for no expiry. */
  expiryTime: number | null;
}

export type SharedSecretResult =
  | { ok: true; userId: string; accessToken: string | undefined; deviceId: string | undefined }
  | { ok: false; reason: "taken" | "invalid" | "exclusive" };

export type TokenRegisterResult =
  | { ok: true; userId: string; accessToken: string | undefined; deviceId: string | undefined }
  | {
      ok: false;
      reason: "token_invalid" | "taken" | "invalid_username" | "exclusive" | "forbidden" | "weak_password";
    };

export type LoginResult =
  | { ok: true; userId: string; accessToken: string; deviceId: string }
  | { ok: false; reason: "wrong_credentials" | "deactivated" | "locked" };

export interface CreateUserFields {
  password?: string;
  displayname?: string;
  threepids?: { medium: "email" | "msisdn"; address: string }[];
  externalIds?: { authProvider: string; externalId: string }[];
  admin?: boolean;
  userType?: string;
}

/** The narrow surface the rest of Vestibule depends on. */
export interface HomeserverClient {
  readonly serverName: string;
  readonly hasAdminToken: boolean;
  readonly hasSharedSecret: boolean;
  checkHealth(): Promise<{ ok: true; version: string | undefined } | { ok: false; error: string }>;
  usernameAvailable(localpart: string): Promise<Availability>;
  registerWithSharedSecret(input: {
    localpart: string;
    password: string;
    displayname?: string;
    admin?: boolean;
    userType?: string;
    inhibitLogin?: boolean;
  }): Promise<SharedSecretResult>;
  getUser(userId: string): Promise<SynapseUser | null>;
  /** Creates the user only if it does not exist (a v2 PUT would silently modify an existing account). */
  createUser(
    userId: string,
    fields: CreateUserFields,
  ): Promise<{ created: true; user: SynapseUser } | { created: false; reason: "exists" }>;
  updateUser(
    userId: string,
    fields: CreateUserFields & { deactivated?: boolean; locked?: boolean },
  ): Promise<SynapseUser>;
  createRegistrationToken(input: {
    token?: string;
    usesAllowed?: number | null;
    expiryTime?: number | null;
    length?: number;
  }): Promise<RegistrationToken>;
  listRegistrationTokens(filter?: { valid?: boolean }): Promise<RegistrationToken[]>;
  getRegistrationToken(token: string): Promise<RegistrationToken | null>;
  /** False when there was no such token. */
  deleteRegistrationToken(token: string): Promise<boolean>;
  /** Admin join (invites first when the room is not public and the admin may invite). */
  joinRoom(roomIdOrAlias: string, userId: string): Promise<{ roomId: string }>;
  resetPassword(userId: string, newPassword: string, options: { logoutDevices: boolean }): Promise<void>;
  /** Deletes every device of the user except `keep` (their access tokens with them). */
  logoutOtherDevices(userId: string, keep: string | undefined): Promise<number>;
  login(localpart: string, password: string, options?: { deviceDisplayName?: string }): Promise<LoginResult>;
  logout(accessToken: string): Promise<void>;
  whoami(accessToken: string): Promise<{ userId: string; deviceId: string | undefined } | null>;
  setDisplayName(accessToken: string, userId: string, displayname: string): Promise<void>;
  /** Joins a room as the user (public rooms, or rooms the user was invited to). */
  joinRoomAsUser(accessToken: string, roomIdOrAlias: string): Promise<{ roomId: string }>;
  registrationTokenValid(token: string): Promise<boolean>;
  registerWithToken(input: {
    username: string;
    password: string;
    token: string;
    initialDeviceDisplayName?: string;
    inhibitLogin?: boolean;
  }): Promise<TokenRegisterResult>;
  /** /account/password with user-interactive auth by the old password. */
  changePasswordWithOldPassword(input: {
    accessToken: string;
    userId: string;
    oldPassword: string;
    newPassword: string;
    logoutDevices: boolean;
  }): Promise<{ ok: true } | { ok: false; reason: "wrong_password" | "weak_password" }>;
}

export interface SynapseClientOptions {
  url: string;
  serverName: string;
  adminToken?: string | undefined;
  registrationSharedSecret?: string | undefined;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const enc = encodeURIComponent;

interface RawUser {
  name: string;
  displayname?: string | null;
  threepids?: { medium: string; address: string }[];
  admin?: boolean | number;
  deactivated?: boolean | number;
  locked?: boolean;
  external_ids?: { auth_provider: string; external_id: string }[];
  creation_ts?: number | null;
}

function toUser(raw: RawUser): SynapseUser {
  return {
    name: raw.name,
    displayname: raw.displayname ?? null,
    threepids: (raw.threepids ?? []).map((t) => ({ medium: t.medium, address: t.address })),
    admin: Boolean(raw.admin),
    deactivated: Boolean(raw.deactivated),
    locked: Boolean(raw.locked),
    externalIds: (raw.external_ids ?? []).map((e) => ({
      authProvider: e.auth_provider,
      externalId: e.external_id,
    })),
    // Synapse reports creation_ts in seconds on older versions and milliseconds on newer ones.
    creationTs:
      typeof raw.creation_ts === "number"
        ? raw.creation_ts < 1e11
          ? raw.creation_ts * 1000
          : raw.creation_ts
        : null,
  };
}

interface RawToken {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

function toToken(raw: RawToken): RegistrationToken {
  return {
    token: raw.token,
    usesAllowed: raw.uses_allowed,
    pending: raw.pending,
    completed: raw.completed,
    expiryTime: raw.expiry_time,
  };
}

function userBody(fields: CreateUserFields & { deactivated?: boolean; locked?: boolean }) {
  const body: Record<string, unknown> = {};
  if (fields.password !== undefined) body["password"] = fields.password;
  if (fields.displayname !== undefined) body["displayname"] = fields.displayname;
  if (fields.threepids !== undefined) body["threepids"] = fields.threepids;
  if (fields.externalIds !== undefined) {
    body["external_ids"] = fields.externalIds.map((e) => ({
      auth_provider: e.authProvider,
      external_id: e.externalId,
    }));
  }
  if (fields.admin !== undefined) body["admin"] = fields.admin;
  if (fields.userType !== undefined) body["user_type"] = fields.userType;
  if (fields.deactivated !== undefined) body["deactivated"] = fields.deactivated;
  if (fields.locked !== undefined) body["locked"] = fields.locked;
  // A new account must not log anybody out; modifying a password here should not either.
  if (fields.password !== undefined) body["logout_devices"] = false;
  return body;
}

/** HMAC-SHA1 over nonce\0username\0password\0admin|notadmin[\0user_type] (PROTOCOLS.md §1.1). */
export function sharedSecretMac(
  secret: string,
  input: { nonce: string; username: string; password: string; admin: boolean; userType?: string | undefined },
): string {
  const parts = [input.nonce, input.username, input.password, input.admin ? "admin" : "notadmin"];
  if (input.userType) parts.push(input.userType);
  return createHmac("sha1", Buffer.from(secret, "utf8")).update(parts.join("\0"), "utf8").digest("hex");
}

function reasonOfUsernameError(errcode: string | undefined): "taken" | "invalid" | "exclusive" | undefined {
  if (errcode === "M_USER_IN_USE") return "taken";
  if (errcode === "M_INVALID_USERNAME") return "invalid";
  if (errcode === "M_EXCLUSIVE") return "exclusive";
  return undefined;
}

/** The client for the configured homeserver (`homeserver.*` in the config). */
export function homeserverClientFor(homeserver: {
  url: string;
  serverName: string;
  adminToken?: string | undefined;
  registrationSharedSecret?: string | undefined;
  requestTimeoutMs: number;
}): HomeserverClient {
  return createSynapseClient({
    url: homeserver.url,
    serverName: homeserver.serverName,
    adminToken: homeserver.adminToken,
    registrationSharedSecret: homeserver.registrationSharedSecret,
    timeoutMs: homeserver.requestTimeoutMs,
  });
}

export function createSynapseClient(options: SynapseClientOptions): HomeserverClient {
  const http: HttpOptions = {
    baseUrl: options.url.replace(/\/+$/, ""),
    timeoutMs: options.timeoutMs ?? 10_000,
    fetch: options.fetch ?? fetch,
  };
  const adminToken = options.adminToken;

  const requireAdmin = (what: string): string => {
    if (!adminToken) throw new AppError("config", `${what} needs homeserver.adminToken`);
    return adminToken;
  };

  /** An admin call whose non-2xx answers are errors. */
  async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const result = await request<T & MatrixErrorBody>(http, method, path, {
      accessToken: requireAdmin(path),
      body,
    });
    if (!isOk(result.status)) throw errorFor(method, path, result);
    return result.body;
  }

  async function adminOrNull<T>(method: string, path: string, body?: unknown): Promise<T | null> {
    const result = await request<T & MatrixErrorBody>(http, method, path, {
      accessToken: requireAdmin(path),
      body,
    });
    if (result.status === 404) return null;
    if (!isOk(result.status)) throw errorFor(method, path, result);
    return result.body;
  }

  const client: HomeserverClient = {
    serverName: options.serverName,
    hasAdminToken: Boolean(adminToken),
    hasSharedSecret: Boolean(options.registrationSharedSecret),

    async checkHealth() {
      try {
        const versions = await request<{ versions?: string[] } & MatrixErrorBody>(
          http,
          "GET",
          "/_matrix/client/versions",
        );
        if (!isOk(versions.status))
          return { ok: false, error: `client API answered HTTP ${versions.status}` };
        const server = await request<{ server_version?: string } & MatrixErrorBody>(
          http,
          "GET",
          "/_synapse/admin/v1/server_version",
        );
        const version = isOk(server.status) ? server.body.server_version : undefined;
        if (adminToken) {
          // server_version is public; an endpoint that needs admin rights tells whether the token is good.
          const probe = await request<MatrixErrorBody>(
            http,
            "GET",
            "/_synapse/admin/v1/username_available?username=vestibule-health-probe",
            {
              accessToken: adminToken,
            },
          );
          if (probe.status === 401 || probe.status === 403)
            return { ok: false, error: "homeserver.adminToken is not accepted" };
        }
        return { ok: true, version };
      } catch (error) {
        return { ok: false, error: error instanceof AppError ? error.message : String(error) };
      }
    },

    async usernameAvailable(localpart) {
      const path = adminToken
        ? `/_synapse/admin/v1/username_available?username=${enc(localpart)}`
        : `/_matrix/client/v3/register/available?username=${enc(localpart)}`;
      const result = await request<{ available?: boolean } & MatrixErrorBody>(http, "GET", path, {
        accessToken: adminToken,
      });
      if (isOk(result.status) && result.body.available === true) return { available: true };
      const reason = reasonOfUsernameError(result.body.errcode);
      if (reason) return { available: false, reason };
      throw errorFor("GET", path, result);
    },

    async registerWithSharedSecret(input) {
      const secret = options.registrationSharedSecret;
      if (!secret)
        throw new AppError("config", "shared-secret registration needs homeserver.registrationSharedSecret");
      const path = "/_synapse/admin/v1/register";
      // The nonce is single-use and lives 60 s in one Synapse process: fetch a fresh one for every attempt.
      const nonceResult = await request<{ nonce?: string } & MatrixErrorBody>(http, "GET", path);
      if (!isOk(nonceResult.status) || !nonceResult.body.nonce) throw errorFor("GET", path, nonceResult);
      const admin = input.admin ?? false;
      const mac = sharedSecretMac(secret, {
        nonce: nonceResult.body.nonce,
        username: input.localpart,
        password: input.password,
        admin,
        userType: input.userType,
      });
      const body: Record<string, unknown> = {
        nonce: nonceResult.body.nonce,
        username: input.localpart,
        password: input.password,
        admin,
        mac,
      };
      if (input.displayname !== undefined) body["displayname"] = input.displayname;
      if (input.userType !== undefined) body["user_type"] = input.userType;
      if (input.inhibitLogin) body["inhibit_login"] = true;
      const result = await request<
        { user_id?: string; access_token?: string; device_id?: string } & MatrixErrorBody
      >(http, "POST", path, { body });
      if (isOk(result.status) && result.body.user_id) {
        return {
          ok: true,
          userId: result.body.user_id,
          accessToken: result.body.access_token,
          deviceId: result.body.device_id,
        };
      }
      const reason = reasonOfUsernameError(result.body.errcode);
      if (reason) return { ok: false, reason };
      if (result.status === 403) {
        throw new AppError(
          "config",
          "homeserver refused the registration shared secret (HMAC incorrect): check homeserver.registrationSharedSecret",
          {
            detail: { status: 403 },
          },
        );
      }
      if (result.status === 400 && /invalid username/i.test(String(result.body.error)))
        return { ok: false, reason: "invalid" };
      throw errorFor("POST", path, result);
    },

    async getUser(userId) {
      const raw = await adminOrNull<RawUser>("GET", `/_synapse/admin/v2/users/${enc(userId)}`);
      return raw ? toUser(raw) : null;
    },

    async createUser(userId, fields) {
      // PUT creates or silently modifies: look first, and never touch an account that exists.
      if (await client.getUser(userId)) return { created: false, reason: "exists" };
      const path = `/_synapse/admin/v2/users/${enc(userId)}`;
      const result = await request<RawUser & MatrixErrorBody>(http, "PUT", path, {
        accessToken: requireAdmin(path),
        body: userBody(fields),
      });
      if (result.status === 201) return { created: true, user: toUser(result.body) };
      // 200 means it existed after all (created between our look and the PUT by someone else) and was modified;
      // that race window is the admin API's own, and the caller treats the account as not ours.
      if (result.status === 200) return { created: false, reason: "exists" };
      throw errorFor("PUT", path, result);
    },

    async updateUser(userId, fields) {
      return toUser(await admin<RawUser>("PUT", `/_synapse/admin/v2/users/${enc(userId)}`, userBody(fields)));
    },

    async createRegistrationToken(input) {
      const body: Record<string, unknown> = {};
      if (input.token !== undefined) body["token"] = input.token;
      if (input.usesAllowed !== undefined) body["uses_allowed"] = input.usesAllowed;
      if (input.expiryTime !== undefined) body["expiry_time"] = input.expiryTime;
      if (input.length !== undefined) body["length"] = input.length;
      return toToken(await admin<RawToken>("POST", "/_synapse/admin/v1/registration_tokens/new", body));
    },

    async listRegistrationTokens(filter = {}) {
      const query = filter.valid === undefined ? "" : `?valid=${filter.valid ? "true" : "false"}`;
      const body = await admin<{ registration_tokens: RawToken[] }>(
        "GET",
        `/_synapse/admin/v1/registration_tokens${query}`,
      );
      return body.registration_tokens.map(toToken);
    },

    async getRegistrationToken(token) {
      const raw = await adminOrNull<RawToken>("GET", `/_synapse/admin/v1/registration_tokens/${enc(token)}`);
      return raw ? toToken(raw) : null;
    },

    async deleteRegistrationToken(token) {
      return (
        (await adminOrNull<object>("DELETE", `/_synapse/admin/v1/registration_tokens/${enc(token)}`)) !== null
      );
    },

    async joinRoom(roomIdOrAlias, userId) {
      const body = await admin<{ room_id: string }>("POST", `/_synapse/admin/v1/join/${enc(roomIdOrAlias)}`, {
        user_id: userId,
      });
      return { roomId: body.room_id };
    },

    async resetPassword(userId, newPassword, { logoutDevices }) {
      await admin("POST", `/_synapse/admin/v1/reset_password/${enc(userId)}`, {
        new_password: newPassword,
        logout_devices: logoutDevices,
      });
    },

    async logoutOtherDevices(userId, keep) {
      const list = await admin<{ devices: { device_id: string }[] }>(
        "GET",
        `/_synapse/admin/v2/users/${enc(userId)}/devices`,
      );
      const others = list.devices.map((d) => d.device_id).filter((id) => id !== keep);
      if (others.length > 0)
        await admin("POST", `/_synapse/admin/v2/users/${enc(userId)}/delete_devices`, { devices: others });
      return others.length;
    },

    async login(localpart, password, loginOptions = {}) {
      const path = "/_matrix/client/v3/login";
      const body: Record<string, unknown> = {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: localpart },
        password,
      };
      if (loginOptions.deviceDisplayName)
        body["initial_device_display_name"] = loginOptions.deviceDisplayName;
      const result = await request<
        { user_id?: string; access_token?: string; device_id?: string } & MatrixErrorBody
      >(http, "POST", path, { body });
      if (isOk(result.status) && result.body.access_token) {
        return {
          ok: true,
          userId: result.body.user_id!,
          accessToken: result.body.access_token,
          deviceId: result.body.device_id!,
        };
      }
      if (result.body.errcode === "M_USER_DEACTIVATED") return { ok: false, reason: "deactivated" };
      if (result.body.errcode === "M_USER_LOCKED") return { ok: false, reason: "locked" };
      if (result.status === 403 || result.status === 401) return { ok: false, reason: "wrong_credentials" };
      throw errorFor("POST", path, result);
    },

    async logout(accessToken) {
      const path = "/_matrix/client/v3/logout";
      const result = await request(http, "POST", path, { accessToken, body: {} });
      if (!isOk(result.status) && result.status !== 401) throw errorFor("POST", path, result);
    },

    async whoami(accessToken) {
      const path = "/_matrix/client/v3/account/whoami";
      const result = await request<{ user_id?: string; device_id?: string } & MatrixErrorBody>(
        http,
        "GET",
        path,
        { accessToken },
      );
      if (result.status === 401 || result.status === 403) return null;
      if (!isOk(result.status) || !result.body.user_id) throw errorFor("GET", path, result);
      return { userId: result.body.user_id, deviceId: result.body.device_id };
    },

    async setDisplayName(accessToken, userId, displayname) {
      const path = `/_matrix/client/v3/profile/${enc(userId)}/displayname`;
      const result = await request(http, "PUT", path, { accessToken, body: { displayname } });
      if (!isOk(result.status)) throw errorFor("PUT", path, result);
    },

    async joinRoomAsUser(accessToken, roomIdOrAlias) {
      const path = `/_matrix/client/v3/join/${enc(roomIdOrAlias)}`;
      const result = await request<{ room_id?: string } & MatrixErrorBody>(http, "POST", path, {
        accessToken,
        body: {},
      });
      if (!isOk(result.status) || !result.body.room_id) throw errorFor("POST", path, result);
      return { roomId: result.body.room_id };
    },

    async registrationTokenValid(token) {
      const path = `/_matrix/client/v1/register/m.login.registration_token/validity?token=${enc(token)}`;
      const result = await request<{ valid?: boolean } & MatrixErrorBody>(http, "GET", path);
      if (isOk(result.status)) return result.body.valid === true;
      throw errorFor("GET", path.split("?")[0]!, result);
    },

    async registerWithToken(input) {
      const path = "/_matrix/client/v3/register";
      type RegisterBody = {
        user_id?: string;
        access_token?: string;
        device_id?: string;
        session?: string;
        flows?: { stages: string[] }[];
        completed?: string[];
      } & MatrixErrorBody;
      const base: Record<string, unknown> = { username: input.username, password: input.password };
      if (input.initialDeviceDisplayName)
        base["initial_device_display_name"] = input.initialDeviceDisplayName;
      if (input.inhibitLogin) base["inhibit_login"] = true;

      const refusal = (result: HttpResult<RegisterBody>): TokenRegisterResult | undefined => {
        const errcode = result.body.errcode;
        if (errcode === "M_USER_IN_USE") return { ok: false, reason: "taken" };
        if (errcode === "M_INVALID_USERNAME") return { ok: false, reason: "invalid_username" };
        if (errcode === "M_EXCLUSIVE") return { ok: false, reason: "exclusive" };
        if (errcode === "M_WEAK_PASSWORD") return { ok: false, reason: "weak_password" };
        if (result.status === 401 && errcode === "M_UNAUTHORIZED")
          return { ok: false, reason: "token_invalid" };
        if (result.status === 403) return { ok: false, reason: "forbidden" };
        if (result.status === 400 && (errcode === "M_INVALID_PARAM" || errcode === "M_MISSING_PARAM"))
          return { ok: false, reason: "token_invalid" };
        return undefined;
      };

      // 1. Without auth: the server answers 401 with the flows and a session (or refuses the name right away).
      let result = await request<RegisterBody>(http, "POST", path, { body: base });
      if (result.status !== 401 || !result.body.session) {
        const refused = refusal(result);
        if (refused) return refused;
        throw errorFor("POST", path, result);
      }
      const session = result.body.session;
      const flows = result.body.flows ?? [];
      const flow = flows.find((f) => f.stages.includes("m.login.registration_token"));
      if (!flow) return { ok: false, reason: "forbidden" };
      // 2. Walk the flow's stages in order; only the token stage and dummy are ours to complete.
      const completed = new Set(result.body.completed ?? []);
      for (const stage of flow.stages) {
        if (completed.has(stage)) continue;
        let auth: Record<string, unknown>;
        if (
          stage === "m.login.registration_token" ||
          stage === "org.matrix.msc3231.login.registration_token"
        ) {
          auth = { type: stage, token: input.token, session };
        } else if (stage === "m.login.dummy") {
          auth = { type: stage, session };
        } else {
          throw new AppError(
            "rejected",
            `homeserver asks for registration stage ${stage}, which Vestibule cannot complete`,
          );
        }
        result = await request<RegisterBody>(http, "POST", path, { body: { ...base, auth } });
        if (isOk(result.status) && result.body.user_id) {
          return {
            ok: true,
            userId: result.body.user_id,
            accessToken: result.body.access_token,
            deviceId: result.body.device_id,
          };
        }
        if (result.status === 401 && !result.body.errcode && result.body.session) {
          for (const done of result.body.completed ?? []) completed.add(done);
          continue;
        }
        const refused = refusal(result);
        if (refused) return refused;
        throw errorFor("POST", path, result);
      }
      throw new AppError("internal", "registration flow ended without an account");
    },

    async changePasswordWithOldPassword(input) {
      const path = "/_matrix/client/v3/account/password";
      const body: Record<string, unknown> = {
        new_password: input.newPassword,
        logout_devices: input.logoutDevices,
      };
      const first = await request<{ session?: string } & MatrixErrorBody>(http, "POST", path, {
        accessToken: input.accessToken,
        body,
      });
      if (isOk(first.status)) return { ok: true };
      if (first.status !== 401 || !first.body.session) throw errorFor("POST", path, first);
      const auth = {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: input.userId },
        password: input.oldPassword,
        session: first.body.session,
      };
      const second = await request<MatrixErrorBody>(http, "POST", path, {
        accessToken: input.accessToken,
        body: { ...body, auth },
      });
      if (isOk(second.status)) return { ok: true };
      if (second.body.errcode === "M_WEAK_PASSWORD") return { ok: false, reason: "weak_password" };
      if (second.status === 401 || second.status === 403) return { ok: false, reason: "wrong_password" };
      throw errorFor("POST", path, second);
    },
  };
  return client;
}

/** A random password nobody knows (accounts created for link mode). */
export function unknowablePassword(): string {
  return randomBytes(32).toString("base64url");
}
