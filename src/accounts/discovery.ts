// What the homeserver offers, found out by asking it (issue 12 "Know the homeserver"), and whether a
// `homeserver.mode` can work there. Pure client code: callers run it at start and on health checks and decide what
// to report; nothing here changes the homeserver.
//
// Probes (all cheap, all read-only except where noted):
// - GET /_matrix/client/versions — is this a Matrix homeserver at all;
// - GET /_matrix/client/v1/auth_metadata, then the MSC2965 forms (unstable auth_metadata, auth_issuer) — does it
//   delegate authentication (to MAS). Synapse registers these only when delegation is on; a 5xx here throws, since
//   "could not tell" must never be read as "not delegated";
// - the admin endpoints the modes need, told apart by how Synapse answers: routed endpoints answer 401/403 without a
//   good admin token, endpoints Synapse does not register (under MAS) answer 404 M_UNRECOGNIZED;
// - GET /_synapse/admin/v1/register allocates a nonce in Synapse's memory (60 s) — harmless;
// - only with `probeRegistrationFlows`: POST /_matrix/client/v3/register without auth, to read the flows. Synapse
//   keeps a UIA session for each such call, so callers should do it at start, not on every health check.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { AppError } from "../errors.ts";

/** Where and how to reach the homeserver (the same shape as the homeserver transport's options). */
export interface DiscoveryHttp {
  baseUrl: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

export interface DiscoveryOptions {
  adminToken?: string | undefined;
  probeRegistrationFlows?: boolean | undefined;
}

/**
 * How an endpoint answered: "available" (routed, and usable with what we have), "unauthorized" (routed, but our
 * admin token is missing or refused), "absent" (not routed: 404 M_UNRECOGNIZED, as Synapse does under MAS),
 * "disabled" (routed but switched off, e.g. no registration_shared_secret), "unknown" (rate-limited or odd).
 */
export type Capability = "available" | "unauthorized" | "absent" | "disabled" | "unknown";

export interface DelegatedAuth {
  issuer: string;
  accountManagementUrl?: string;
  /** Which endpoint told us. */
  source: "auth_metadata" | "msc2965_auth_metadata" | "msc2965_auth_issuer";
}

export interface HomeserverDiscovery {
  versions: string[];
  unstableFeatures: Record<string, boolean>;
  /** Synapse's version (public /_synapse/admin/v1/server_version), when it says. */
  serverVersion: string | undefined;
  delegatedAuth: DelegatedAuth | null;
  /** "none" when no admin token was given. */
  adminToken: "accepted" | "refused" | "none";
  registration: {
    /** From the flows when probed; otherwise "delegated" or "unknown". */
    status: "token_required" | "open" | "disabled" | "delegated" | "unknown";
    flows: string[][] | null;
  };
  adminApi: {
    usersV2: Capability;
    registrationTokens: Capability;
    sharedSecretRegistration: Capability;
    usernameAvailable: Capability;
    /** Whether MSC3866 approval is on (users carry `approved`); null when it could not be seen. */
    msc3866: boolean | null;
  };
}

export type HomeserverMode = "synapse" | "token" | "local" | "mas";

export interface ModeConfig {
  /** Whether `homeserver.adminToken` is set. */
  adminToken: boolean;
  /** Whether `homeserver.registrationSharedSecret` is set. */
  sharedSecret: boolean;
  /** MAS settings when configured; the issuer, if given, must match the homeserver's. */
  mas?: { issuer?: string | undefined } | undefined;
}

export type ModeAssessment =
  { ok: true } | { ok: false; reason: string; suggestedMode: HomeserverMode | undefined };

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function get(
  http: DiscoveryHttp,
  method: string,
  path: string,
  accessToken?: string,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (accessToken) headers["authorization"] = `Bearer ${accessToken}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await http.fetch(`${http.baseUrl.replace(/\/+$/, "")}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(http.timeoutMs),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    throw new AppError("unavailable", `homeserver unreachable (${method} ${path.split("?")[0]!})`, {
      publicMessage: "The homeserver is not reachable right now.",
      cause: error,
    });
  }
  const text = await response.text().catch(() => "");
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = {};
  }
  const record = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  return { status: response.status, body: record as Record<string, unknown> };
}

const notRouted = (a: Answer) =>
  a.status === 404 && (a.body["errcode"] === "M_UNRECOGNIZED" || !a.body["errcode"]);
const authRefused = (a: Answer) => a.status === 401 || a.status === 403;

function failIfBroken(what: string, a: Answer): void {
  if (a.status >= 500)
    throw new AppError("unavailable", `homeserver failed ${what}: HTTP ${a.status}`, {
      detail: { status: a.status },
    });
}

const versionsSchema = z.object({
  versions: z.array(z.string()),
  unstable_features: z.record(z.string(), z.boolean()).optional(),
});
const metadataSchema = z.object({
  issuer: z.string().url(),
  account_management_uri: z.string().url().optional(),
});

async function findDelegation(http: DiscoveryHttp): Promise<DelegatedAuth | null> {
  const candidates: [DelegatedAuth["source"], string][] = [
    ["auth_metadata", "/_matrix/client/v1/auth_metadata"],
    ["msc2965_auth_metadata", "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata"],
    ["msc2965_auth_issuer", "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer"],
  ];
  for (const [source, path] of candidates) {
    const answer = await get(http, "GET", path);
    // Synapse under MAS answers 500 when it cannot reach MAS for the metadata: that is delegation we cannot see.
    failIfBroken(`GET ${path}`, answer);
    if (answer.status !== 200) continue;
    const parsed = metadataSchema.safeParse(answer.body);
    if (!parsed.success) continue;
    return {
      issuer: parsed.data.issuer,
      ...(parsed.data.account_management_uri
        ? { accountManagementUrl: parsed.data.account_management_uri }
        : {}),
      source,
    };
  }
  return null;
}

const TOKEN_STAGES = new Set(["m.login.registration_token", "org.matrix.msc3231.login.registration_token"]);

export async function discoverHomeserver(
  http: DiscoveryHttp,
  options: DiscoveryOptions = {},
): Promise<HomeserverDiscovery> {
  const token = options.adminToken || undefined;
  const probe = `vestibule-probe-${randomBytes(4).toString("hex")}`;

  const versions = await get(http, "GET", "/_matrix/client/versions");
  failIfBroken("GET /_matrix/client/versions", versions);
  const parsedVersions = versionsSchema.safeParse(versions.body);
  if (versions.status !== 200 || !parsedVersions.success)
    throw new AppError(
      "rejected",
      `no Matrix homeserver at ${http.baseUrl} (/_matrix/client/versions answered HTTP ${versions.status})`,
    );

  const [delegatedAuth, server, available, users, tokens, register, flows] = await Promise.all([
    findDelegation(http),
    get(http, "GET", "/_synapse/admin/v1/server_version"),
    get(http, "GET", `/_synapse/admin/v1/username_available?username=${probe}`, token),
    get(http, "GET", "/_synapse/admin/v2/users?limit=1", token),
    get(http, "GET", `/_synapse/admin/v1/registration_tokens/${probe}`, token),
    get(http, "GET", "/_synapse/admin/v1/register"),
    options.probeRegistrationFlows
      ? get(http, "POST", "/_matrix/client/v3/register", undefined, {})
      : Promise.resolve(undefined),
  ]);
  for (const [what, a] of [
    ["username_available", available],
    ["v2 users", users],
    ["registration_tokens", tokens],
    ["register", register],
  ] as const)
    failIfBroken(what, a);

  const routedWithToken = (a: Answer, ok: (a: Answer) => boolean): Capability => {
    if (notRouted(a)) return "absent";
    if (authRefused(a)) return "unauthorized";
    if (ok(a)) return "available";
    return "unknown";
  };
  const usernameAvailable = routedWithToken(
    available,
    (a) => a.status === 200 || (a.status === 400 && typeof a.body["errcode"] === "string"),
  );
  const usersV2 = routedWithToken(users, (a) => a.status === 200);
  // A made-up token: "No such registration token" (404 M_NOT_FOUND) proves the API is there and we may use it.
  const registrationTokens = routedWithToken(
    tokens,
    (a) => a.status === 404 && a.body["errcode"] === "M_NOT_FOUND",
  );
  let sharedSecretRegistration: Capability;
  if (notRouted(register)) sharedSecretRegistration = "absent";
  else if (register.status === 200 && typeof register.body["nonce"] === "string")
    sharedSecretRegistration = "available";
  else if (register.status === 400) sharedSecretRegistration = "disabled";
  else sharedSecretRegistration = "unknown";

  let msc3866: boolean | null = null;
  if (usersV2 === "available") {
    const list = users.body["users"];
    const first: unknown = Array.isArray(list) ? list[0] : undefined;
    const name = typeof first === "object" && first !== null ? (first as { name?: unknown }).name : undefined;
    if (typeof name === "string") {
      // The single-user answer carries `approved` only when MSC3866 is enabled (handlers/admin.py). The list is no
      // guide: Synapse 1.160 means to strip the field there too but never applies its filter.
      const one = await get(http, "GET", `/_synapse/admin/v2/users/${encodeURIComponent(name)}`, token);
      failIfBroken("v2 user", one);
      if (one.status === 200) msc3866 = "approved" in one.body;
    }
  }

  const adminToken: HomeserverDiscovery["adminToken"] = !token
    ? "none"
    : usernameAvailable === "available" || usersV2 === "available"
      ? "accepted"
      : usernameAvailable === "unauthorized" || usersV2 === "unauthorized"
        ? "refused"
        : "none";

  let registration: HomeserverDiscovery["registration"] = {
    status: delegatedAuth ? "delegated" : "unknown",
    flows: null,
  };
  if (flows) {
    const rawFlows = flows.body["flows"];
    if (flows.status === 401 && Array.isArray(rawFlows)) {
      const stages = rawFlows.map((f) => {
        const list = (f as { stages?: unknown }).stages;
        return Array.isArray(list) ? list.filter((s): s is string => typeof s === "string") : [];
      });
      const everyFlowNeedsToken =
        stages.length > 0 && stages.every((s) => s.some((stage) => TOKEN_STAGES.has(stage)));
      registration = { status: everyFlowNeedsToken ? "token_required" : "open", flows: stages };
    } else if (flows.status === 403) {
      registration = { status: delegatedAuth ? "delegated" : "disabled", flows: null };
    }
  }

  const serverVersion = server.status === 200 ? server.body["server_version"] : undefined;
  return {
    versions: parsedVersions.data.versions,
    unstableFeatures: parsedVersions.data.unstable_features ?? {},
    serverVersion: typeof serverVersion === "string" ? serverVersion : undefined,
    delegatedAuth,
    adminToken,
    registration,
    adminApi: { usersV2, registrationTokens, sharedSecretRegistration, usernameAvailable, msc3866 },
  };
}

function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

/** Whether the Synapse-side modes' account creation works here with this configuration. */
function synapseWorks(d: HomeserverDiscovery, config: ModeConfig): boolean {
  return (
    (config.adminToken && d.adminToken === "accepted" && d.adminApi.usersV2 === "available") ||
    (config.sharedSecret && d.adminApi.sharedSecretRegistration === "available")
  );
}

function tokenWorks(d: HomeserverDiscovery, config: ModeConfig): boolean {
  return (
    config.adminToken &&
    d.adminToken === "accepted" &&
    d.adminApi.registrationTokens === "available" &&
    (d.registration.status === "token_required" || d.registration.status === "unknown")
  );
}

/**
 * Whether `mode` can create accounts that can log in on this homeserver, and if not, why and which mode would.
 * The reasons are written for the operator reading /healthz or the log.
 */
export function assessMode(mode: HomeserverMode, d: HomeserverDiscovery, config: ModeConfig): ModeAssessment {
  const down = (reason: string, suggestedMode?: HomeserverMode): ModeAssessment => ({
    ok: false,
    reason,
    suggestedMode: suggestedMode === mode ? undefined : suggestedMode,
  });
  const otherwise = (): HomeserverMode | undefined =>
    synapseWorks(d, config) ? "synapse" : tokenWorks(d, config) ? "token" : undefined;

  if (d.delegatedAuth) {
    if (mode !== "mas")
      return down(
        `the homeserver delegates authentication to MAS (issuer ${d.delegatedAuth.issuer}): accounts made in mode "${mode}" could never log in; use mode "mas" with a MAS admin client`,
        "mas",
      );
    if (config.mas?.issuer && !sameIssuer(config.mas.issuer, d.delegatedAuth.issuer))
      return down(
        `the homeserver delegates to issuer ${d.delegatedAuth.issuer}, but the MAS configuration names ${config.mas.issuer}`,
      );
    return { ok: true };
  }

  switch (mode) {
    case "mas":
      return down(
        "the homeserver does not delegate authentication to MAS (no auth_metadata): accounts made in MAS would not be used by it",
        otherwise(),
      );
    case "synapse":
      if (config.adminToken) {
        if (d.adminToken === "refused")
          return down("homeserver.adminToken is not accepted (it must belong to a server admin)");
        if (d.adminApi.usersV2 !== "available")
          return down(`the homeserver's user admin API (/_synapse/admin/v2/users) is ${d.adminApi.usersV2}`);
        return { ok: true };
      }
      if (config.sharedSecret) {
        if (d.adminApi.sharedSecretRegistration === "available") return { ok: true };
        return down(
          d.adminApi.sharedSecretRegistration === "disabled"
            ? "shared-secret registration is switched off on the homeserver (no registration_shared_secret there)"
            : `shared-secret registration (/_synapse/admin/v1/register) is ${d.adminApi.sharedSecretRegistration}`,
        );
      }
      return down(
        'mode "synapse" needs homeserver.adminToken (a server admin\'s token) or homeserver.registrationSharedSecret',
      );
    case "token":
      if (!config.adminToken)
        return down('mode "token" needs homeserver.adminToken to create registration tokens');
      if (d.adminToken === "refused")
        return down("homeserver.adminToken is not accepted (it must belong to a server admin)");
      if (d.adminApi.registrationTokens !== "available")
        return down(
          `the homeserver's registration-token admin API is ${d.adminApi.registrationTokens}`,
          otherwise(),
        );
      if (d.registration.status === "disabled")
        return down(
          "registration is disabled on the homeserver (enable_registration: false), so a token cannot be used",
          otherwise(),
        );
      if (d.registration.status === "open")
        return down(
          "the homeserver lets anyone register without a token (registration_requires_token is off): moderation would be bypassed",
          otherwise(),
        );
      return { ok: true };
    case "local":
      if (config.adminToken && d.adminToken === "refused")
        return down("homeserver.adminToken is not accepted (it must belong to a server admin)");
      return { ok: true };
  }
}
