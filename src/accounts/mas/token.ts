// OAuth 2.0 client-credentials access tokens for MAS's admin API (RFC 6749 §4.4; MAS docs/topics/admin-api.md
// "Automated tools"). The client must be listed in MAS's `policy.data.admin_clients` to be granted `urn:mas:admin`.
//
// MAS issues short-lived tokens (300 s by default) without a refresh token, so a new one is fetched with the client
// credentials before the old one runs out: lazily, on the first call after the refresh point, and only once however
// many calls are waiting (single-flight). Neither the client secret nor a token is ever logged or put in an error.
import { z } from "zod";
import { AppError } from "../../errors.ts";

/** How a static MAS client authenticates at the token endpoint (its `client_auth_method`). */
export type ClientAuthMethod = "client_secret_basic" | "client_secret_post";

/** The narrow logger this module writes to (pino's Logger fits). */
export interface MasLog {
  debug(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

export interface ClientCredentialsOptions {
  /** MAS's issuer (`http.public_base`); the token endpoint is read from its OpenID configuration. */
  issuer?: string | undefined;
  /** The token endpoint itself (skips discovery); one of `issuer` and `tokenEndpoint` is required. */
  tokenEndpoint?: string | undefined;
  clientId: string;
  clientSecret: string;
  /** Default `client_secret_basic`, which MAS's docs use for client-credentials clients. */
  authMethod?: ClientAuthMethod | undefined;
  scopes: readonly string[];
  timeoutMs?: number | undefined;
  fetch?: typeof fetch | undefined;
  /** The clock (tests move it to the refresh point instead of waiting). */
  now?: (() => number) | undefined;
  log?: MasLog | undefined;
  /** Called after each new token is obtained, with its lifetime — never with the token. */
  onRefresh?: ((info: { expiresInSeconds: number; scope: string }) => void) | undefined;
}

export interface AccessTokenSource {
  /** A token that stays valid for at least the refresh margin; fetches a new one (single-flight) when needed. */
  get(): Promise<string>;
  /** Forgets `token` because the server refused it; the next get() fetches a new one. */
  invalidate(token: string): void;
}

/** When a token's lifetime is not stated (RFC 6749 makes expires_in optional; MAS always sends it). */
const ASSUMED_LIFETIME_S = 60;

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.number().int().positive().optional(),
  scope: z.string().optional(),
});

const oauthError = z.object({ error: z.string(), error_description: z.string().optional() });

const providerMetadata = z.object({ issuer: z.string(), token_endpoint: z.string().url() });

/** Issuers compare as URLs without a trailing slash (`https://mas/` and `https://mas` are the same issuer). */
function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before they go into the Basic credentials. */
function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString("base64")}`;
}

async function send(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  what: string,
): Promise<{ status: number; text: string }> {
  let response: Response;
  try {
    response = await fetchFn(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    throw new AppError(
      "unavailable",
      timedOut ? `MAS did not answer ${what} within ${timeoutMs} ms` : `MAS unreachable (${what}${cause})`,
      { publicMessage: "The account service is not reachable right now.", detail: { timeout: timedOut } },
    );
  }
  try {
    return { status: response.status, text: await response.text() };
  } catch {
    throw new AppError("unavailable", `MAS answer to ${what} was cut off`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A token source that authenticates to MAS with the client-credentials grant. */
export function clientCredentialsTokenSource(options: ClientCredentialsOptions): AccessTokenSource {
  if (!options.issuer && !options.tokenEndpoint)
    throw new AppError("config", "MAS needs an issuer or a token endpoint to get admin tokens");
  const fetchFn = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  const authMethod = options.authMethod ?? "client_secret_basic";
  const scope = options.scopes.join(" ");
  const clientId = options.clientId;
  // The secret lives only in this closure: nothing that could be logged holds a reference to it.
  const clientSecret = options.clientSecret;

  let tokenEndpoint: string | undefined = options.tokenEndpoint;
  let current: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  async function discover(): Promise<string> {
    if (tokenEndpoint) return tokenEndpoint;
    const issuer = options.issuer!;
    const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const { status, text } = await send(
      fetchFn,
      url,
      { headers: { accept: "application/json" } },
      timeoutMs,
      "GET /.well-known/openid-configuration",
    );
    if (status >= 500 || status === 429)
      throw new AppError("unavailable", `MAS failed its OpenID configuration: HTTP ${status}`, {
        detail: { status },
      });
    const parsed = providerMetadata.safeParse(parseJson(text));
    if (status !== 200 || !parsed.success)
      throw new AppError(
        "config",
        `no OpenID configuration at ${url} (HTTP ${status}): is mas.issuer MAS's public base URL?`,
        {
          detail: { status },
        },
      );
    // RFC 8414 §3.3: the metadata must name the issuer it was fetched for, or it is not to be trusted.
    if (!sameIssuer(parsed.data.issuer, issuer))
      throw new AppError(
        "config",
        `MAS at ${issuer} says its issuer is ${parsed.data.issuer}: set mas.issuer to that`,
      );
    tokenEndpoint = parsed.data.token_endpoint;
    return tokenEndpoint;
  }

  async function fetchToken(): Promise<string> {
    const endpoint = await discover();
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (scope) form.set("scope", scope);
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if (authMethod === "client_secret_basic")
      headers["authorization"] = basicCredentials(clientId, clientSecret);
    else {
      form.set("client_id", clientId);
      form.set("client_secret", clientSecret);
    }
    const issuedAt = now();
    const { status, text } = await send(
      fetchFn,
      endpoint,
      { method: "POST", headers, body: form.toString() },
      timeoutMs,
      "POST token",
    );
    const body = parseJson(text);
    if (status === 200) {
      const parsed = tokenResponse.safeParse(body);
      if (!parsed.success)
        throw new AppError("internal", "MAS token endpoint answered 200 without a usable bearer token");
      const lifetime = parsed.data.expires_in ?? ASSUMED_LIFETIME_S;
      // Refresh with a margin of half the lifetime, at most a minute: a token is never used close to its end, so
      // clock skew and slow requests do not turn into 401s.
      const marginMs = Math.min(60_000, (lifetime * 1000) / 2);
      current = { token: parsed.data.access_token, refreshAt: issuedAt + lifetime * 1000 - marginMs };
      options.log?.debug(
        { clientId, expiresInSeconds: lifetime, scope: parsed.data.scope ?? "" },
        "MAS admin token obtained",
      );
      options.onRefresh?.({ expiresInSeconds: lifetime, scope: parsed.data.scope ?? "" });
      return parsed.data.access_token;
    }
    if (status >= 500 || status === 429)
      throw new AppError("unavailable", `MAS token endpoint failed: HTTP ${status}`, { detail: { status } });
    const error = oauthError.safeParse(body);
    const code = error.success ? error.data.error : `HTTP ${status}`;
    const description =
      error.success && error.data.error_description ? ` — ${error.data.error_description}` : "";
    const detail = { status, oauthError: code };
    if (code === "invalid_client")
      throw new AppError(
        "config",
        `MAS refused the client credentials of client ${clientId} (invalid_client): check mas.clientId and mas.clientSecret, and that the client's client_auth_method is ${authMethod}`,
        { detail },
      );
    if (code === "invalid_scope")
      throw new AppError(
        "config",
        `MAS will not grant "${scope}" to client ${clientId} (invalid_scope${description}): urn:mas:admin needs the client in policy.data.admin_clients`,
        { detail },
      );
    if (code === "unauthorized_client")
      throw new AppError("config", `MAS does not let client ${clientId} use the client_credentials grant`, {
        detail,
      });
    throw new AppError("config", `MAS token endpoint refused client ${clientId}: ${code}${description}`, {
      detail,
    });
  }

  return {
    get() {
      if (current && now() < current.refreshAt) return Promise.resolve(current.token);
      // Single flight: every caller waiting at the refresh point shares one token request.
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    invalidate(token) {
      if (current?.token === token) current = undefined;
    },
  };
}
