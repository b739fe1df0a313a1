// The internal API (role `internal`, loopback by default): matrix-synapse-rest-auth's check_credentials, the
// mxisd/ma1sd REST backend under both prefixes, and the password-change intercept. Every answer to bad input is a
// 4xx with { errcode, error }; nothing a caller sends can produce a 5xx.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Config } from "../config/index.ts";
import { constantTimeEqual, type PasswordHasher } from "../crypto/index.ts";
import { findLocalAccount, setLocalPassword } from "../db/local-account.repository.ts";
import type { Db } from "../db/database.ts";
import { incidentId } from "../errors.ts";
import type { HomeserverClient } from "../homeserver/index.ts";
import type { Logger } from "../logger.ts";
import { canonicalIp } from "../registration/policy.ts";
import { createLoginGuard, type LoginVerdict } from "./login-guard.ts";
import {
  checkPassword,
  checkUserIdPassword,
  localpartOf,
  lookupEmails,
  searchDirectory,
  type AccountDeps,
} from "./accounts.ts";

export interface InternalDeps {
  config: Pick<Config, "internal" | "homeserver" | "registration" | "secrets">;
  db: Db;
  hasher: () => Promise<PasswordHasher>;
  homeserver: HomeserverClient;
  logger: Logger;
  clock: () => Date;
  /** Hashing workers (the guard runs this many verifications at once). */
  hashingThreads?: number;
  /** Each guarded password check's verdict (metrics). */
  onLoginVerdict?: (verdict: LoginVerdict) => void;
}

type ErrorStatus = 400 | 401 | 403 | 404 | 413 | 415 | 500;

function matrixError(
  c: Context,
  status: ErrorStatus,
  errcode: string,
  error: string,
  extra: Record<string, unknown> = {},
) {
  return c.json({ errcode, error, ...extra }, status);
}

/** Reads and validates a JSON body; an Error response when it is not what the schema says. */
async function readJson<T>(
  c: Context,
  schema: z.ZodType<T>,
  maxBytes: number,
): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  const type = c.req.header("content-type") ?? "";
  if (type !== "" && !/^application\/json\b/i.test(type)) {
    return {
      ok: false,
      response: matrixError(c, 415, "M_NOT_JSON", "expected Content-Type: application/json"),
    };
  }
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > maxBytes) {
    // The body is not read: the connection cannot carry another request.
    c.header("Connection", "close");
    return {
      ok: false,
      response: matrixError(c, 413, "M_TOO_LARGE", `the body is larger than ${maxBytes} bytes`),
    };
  }
  let text: string;
  try {
    const buffer = await c.req.arrayBuffer();
    if (buffer.byteLength > maxBytes)
      return {
        ok: false,
        response: matrixError(c, 413, "M_TOO_LARGE", `the body is larger than ${maxBytes} bytes`),
      };
    text = new TextDecoder("utf-8", { fatal: true }).decode(buffer);
  } catch {
    return { ok: false, response: matrixError(c, 400, "M_NOT_JSON", "the body is not valid UTF-8") };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, response: matrixError(c, 400, "M_NOT_JSON", "the body is not valid JSON") };
  }
  // One check for every string of every body: PostgreSQL cannot store or compare NUL, and no field needs one.
  const nul = pathOfNul(parsed);
  if (nul !== null)
    return {
      ok: false,
      response: matrixError(c, 400, "M_BAD_JSON", `${nul || "body"}: must not contain NUL characters`),
    };
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.map(String).join(".") : "body";
    return {
      ok: false,
      response: matrixError(
        c,
        400,
        "M_BAD_JSON",
        `${where}: ${issue.message.replace(/^Invalid input: /, "")}`,
      ),
    };
  }
  return { ok: true, value: result.data };
}

/** The path of the first string (or object key) holding U+0000, or null when there is none. */
function pathOfNul(value: unknown, path = ""): string | null {
  if (typeof value === "string") return value.includes("\0") ? path : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = pathOfNul(item, path ? `${path}.${index}` : String(index));
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const here = path ? `${path}.${key}` : key;
      if (key.includes("\0")) return here;
      const found = pathOfNul(item, here);
      if (found !== null) return found;
    }
  }
  return null;
}

const text = (max: number) => z.string().max(max);
const checkCredentialsBody = z.object({ user: z.object({ id: text(300), password: text(1024) }) });
const mxisdAuthBody = z.object({
  auth: z.object({
    mxid: text(300).optional(),
    localpart: text(300).optional(),
    domain: text(300).optional(),
    password: text(1024),
  }),
});
const directoryBody = z.object({ by: z.enum(["name", "threepid"]), search_term: text(256) });
const threepid = z.object({ medium: text(32), address: text(320) });
const singleBody = z.object({ lookup: threepid });
const profileBody = z.object({
  mxid: text(300).optional(),
  localpart: text(300).optional(),
  domain: text(300).optional(),
});
const passwordBody = z.object({
  new_password: text(512).optional(),
  logout_devices: z.boolean().optional(),
  auth: z
    .object({
      type: z.string().max(64).optional(),
      session: z.string().max(512).optional(),
      password: text(1024).optional(),
      user: z.string().max(300).optional(),
      identifier: z.object({ type: z.string().max(64), user: z.string().max(300).optional() }).optional(),
    })
    .optional(),
});

export function createInternalApp(deps: InternalDeps): Hono {
  const app = new Hono();
  const internal = deps.config.internal;
  const serverName = deps.config.homeserver.serverName;
  const maxBytes = internal.maxBodyBytes;
  const log = deps.logger.child({ component: "internal" });
  const guard = createLoginGuard({
    db: deps.db,
    clock: deps.clock,
    settings: {
      ...internal.loginThrottle,
      concurrency: Math.max(1, deps.hashingThreads ?? 2),
    },
    calibrate: async () => {
      const hasher = await deps.hasher();
      return hasher.verify(await hasher.dummyHash(), "calibration");
    },
    ...(deps.onLoginVerdict ? { onVerdict: deps.onLoginVerdict } : {}),
  });
  const accounts: AccountDeps = {
    db: deps.db,
    hasher: deps.hasher,
    serverName,
    clock: deps.clock,
    guard,
  };
  /** The calling server (Synapse, ma1sd, the reverse proxy for the intercept): the per-source throttle's key. */
  const sourceOf = (c: Context) => canonicalIp(getConnInfo(c).remote.address ?? "unknown");
  const bulkSchema = z.object({
    lookup: z
      .array(threepid)
      .max(internal.bulkLookupMax, `at most ${internal.bulkLookupMax} lookups per request`),
  });
  // UIA sessions are signed rather than stored, so any instance behind a load balancer can continue a flow.
  const sessionKey =
    deps.config.internal.secret ?? deps.config.secrets.key ?? randomBytes(32).toString("base64");

  app.use(async (c, next) => {
    // The password intercept is called by end users' clients through the proxy and authenticates with their own
    // access token; everything else is server-to-server and needs the shared secret when one is set.
    if (internal.secret && !c.req.path.startsWith("/_matrix/client/")) {
      const header = c.req.header("authorization") ?? "";
      const match = /^Bearer (.+)$/.exec(header);
      if (!match || !constantTimeEqual(match[1]!, internal.secret))
        return matrixError(c, 401, "M_UNAUTHORIZED", "a valid bearer token is required");
    }
    await next();
    return undefined;
  });

  app.post("/_matrix-internal/identity/v1/check_credentials", async (c) => {
    const body = await readJson(c, checkCredentialsBody, maxBytes);
    if (!body.ok) return body.response;
    const account = await checkUserIdPassword(
      accounts,
      body.value.user.id,
      body.value.user.password,
      sourceOf(c),
    );
    if (!account) return c.json({ auth: { success: false } });
    // Current Synapse with the legacy rest-auth module only logs in with an empty profile (PROTOCOLS.md §3).
    const profile = internal.restAuth.sendProfile
      ? {
          display_name: account.displayName ?? account.localpart,
          three_pids: account.email ? [{ medium: "email", address: account.email }] : [],
        }
      : {};
    return c.json({ auth: { success: true, mxid: `@${account.localpart}:${serverName}`, profile } });
  });

  for (const prefix of ["/_mxisd/backend/api/v1", "/_ma1sd/backend/api/v1"]) {
    app.post(`${prefix}/auth/login`, async (c) => {
      const body = await readJson(c, mxisdAuthBody, maxBytes);
      if (!body.ok) return body.response;
      const auth = body.value.auth;
      const localpart =
        auth.localpart?.toLowerCase() ?? (auth.mxid ? localpartOf(auth.mxid, serverName) : null);
      if (auth.domain !== undefined && auth.domain !== serverName)
        return c.json({ auth: { success: false } });
      if (!localpart) return matrixError(c, 400, "M_BAD_JSON", "auth.localpart or auth.mxid is required");
      const account = await checkPassword(accounts, localpart, auth.password, sourceOf(c));
      if (!account) return c.json({ auth: { success: false } });
      return c.json({
        auth: {
          success: true,
          id: { type: "localpart", value: account.localpart },
          profile: {
            display_name: account.displayName ?? account.localpart,
            three_pids: account.email ? [{ medium: "email", address: account.email }] : [],
          },
        },
      });
    });

    app.post(`${prefix}/directory/user/search`, async (c) => {
      const body = await readJson(c, directoryBody, maxBytes);
      if (!body.ok) return body.response;
      const term = body.value.search_term.trim();
      if (term.length < internal.directory.minTermLength) return c.json({ limited: false, results: [] });
      const found = await searchDirectory(deps.db, body.value.by, term, internal.directory.maxResults);
      return c.json({
        limited: found.limited,
        results: found.results.map((r) => ({
          avatar_url: "",
          display_name: r.displayName ?? r.localpart,
          user_id: r.localpart,
        })),
      });
    });

    app.post(`${prefix}/identity/single`, async (c) => {
      const body = await readJson(c, singleBody, maxBytes);
      if (!body.ok) return body.response;
      const { medium, address } = body.value.lookup;
      if (medium !== "email") return c.json({});
      const localpart = (await lookupEmails(deps.db, [address])).get(address.toLowerCase());
      return localpart
        ? c.json({ lookup: { medium, address, id: { type: "localpart", value: localpart } } })
        : c.json({});
    });

    app.post(`${prefix}/identity/bulk`, async (c) => {
      const body = await readJson(c, bulkSchema, maxBytes);
      if (!body.ok) return body.response;
      const emails = body.value.lookup.filter((l) => l.medium === "email");
      const found = await lookupEmails(
        deps.db,
        emails.map((l) => l.address),
      );
      const lookup = emails.flatMap((l) => {
        const localpart = found.get(l.address.toLowerCase());
        return localpart
          ? [{ medium: l.medium, address: l.address, id: { type: "localpart", value: localpart } }]
          : [];
      });
      return c.json({ lookup });
    });

    const profileTarget = async (c: Context) => {
      const body = await readJson(c, profileBody, maxBytes);
      if (!body.ok) return { response: body.response };
      const localpart =
        body.value.localpart?.toLowerCase() ??
        (body.value.mxid ? localpartOf(body.value.mxid, serverName) : null);
      if (!localpart) return { response: matrixError(c, 400, "M_BAD_JSON", "localpart or mxid is required") };
      const account = await findLocalAccount(deps.db, localpart);
      return { account: account && !account.disabledAt ? account : null };
    };
    app.post(`${prefix}/profile/displayName`, async (c) => {
      const target = await profileTarget(c);
      if ("response" in target) return target.response;
      return c.json({
        profile: target.account
          ? { display_name: target.account.displayName ?? target.account.localpart }
          : {},
      });
    });
    app.post(`${prefix}/profile/threepids`, async (c) => {
      const target = await profileTarget(c);
      if ("response" in target) return target.response;
      return c.json({
        profile: target.account?.email
          ? { threepids: [{ medium: "email", address: target.account.email }] }
          : {},
      });
    });
  }

  // The password-change intercept: a reverse proxy routes clients' POST /account/password here in local mode.
  const flows = [{ stages: ["m.login.password"] }];
  // A session is bound to the password it was opened with (a fingerprint of the stored hash goes into its MAC), so
  // it stops working the moment the password changes: a finished flow cannot be replayed for a second change.
  const sessionMac = (payload: string, passwordHash: string | null) =>
    createHmac("sha256", sessionKey)
      .update(
        `${payload}.${createHash("sha256")
          .update(passwordHash ?? "")
          .digest("base64url")}`,
      )
      .digest("base64url");
  const newSession = (userId: string, passwordHash: string | null) => {
    const expires = deps.clock().getTime() + 10 * 60_000;
    const payload = `${Buffer.from(userId).toString("base64url")}.${expires}`;
    return `${payload}.${sessionMac(payload, passwordHash)}`;
  };
  const sessionUser = (session: string | undefined, passwordHash: string | null): string | null => {
    const [user, expires, mac] = (session ?? "").split(".");
    if (!user || !expires || !mac) return null;
    const expected = sessionMac(`${user}.${expires}`, passwordHash);
    if (!constantTimeEqual(mac, expected) || Number(expires) < deps.clock().getTime()) return null;
    return Buffer.from(user, "base64url").toString("utf8");
  };

  const changePassword = async (c: Context) => {
    const token = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    if (!token) return matrixError(c, 401, "M_MISSING_TOKEN", "missing access token");
    const me = await deps.homeserver.whoami(token);
    if (!me) return matrixError(c, 401, "M_UNKNOWN_TOKEN", "unknown access token");
    const localpart = localpartOf(me.userId, serverName);
    if (!localpart) return matrixError(c, 403, "M_FORBIDDEN", "not a local user");
    const body = await readJson(c, passwordBody, maxBytes);
    if (!body.ok) return body.response;
    const { auth, new_password: newPassword } = body.value;
    const current = (await findLocalAccount(deps.db, localpart))?.passwordHash ?? null;
    const valid = sessionUser(auth?.session, current) === me.userId;
    const session = valid ? auth!.session! : newSession(me.userId, current);
    if (!auth || auth.type !== "m.login.password" || !valid) {
      return c.json({ flows, params: {}, session }, 401);
    }
    const claimed = auth.identifier?.user ?? auth.user;
    if (
      claimed !== undefined &&
      (localpartOf(claimed.startsWith("@") ? claimed : `@${claimed}:${serverName}`, serverName) ?? "") !==
        localpart
    ) {
      return c.json(
        {
          errcode: "M_FORBIDDEN",
          error: "the identifier does not match the logged-in user",
          flows,
          params: {},
          session,
        },
        401,
      );
    }
    const account = await checkPassword(accounts, localpart, auth.password ?? "", sourceOf(c));
    if (!account)
      return c.json(
        { errcode: "M_FORBIDDEN", error: "Invalid password", flows, params: {}, session, completed: [] },
        401,
      );
    if (newPassword === undefined || newPassword === "")
      return matrixError(c, 400, "M_MISSING_PARAM", "new_password is required");
    if (newPassword.length < deps.config.registration.password.minLength) {
      return matrixError(
        c,
        400,
        "M_WEAK_PASSWORD",
        `the password must have at least ${deps.config.registration.password.minLength} characters`,
      );
    }
    await setLocalPassword(deps.db, localpart, await (await deps.hasher()).hash(newPassword), deps.clock());
    log.info({ localpart }, "password changed through the intercept");
    // Per the spec, other devices are logged out unless the client asks otherwise.
    if (body.value.logout_devices !== false && deps.homeserver.hasAdminToken) {
      try {
        await deps.homeserver.logoutOtherDevices(me.userId, me.deviceId);
      } catch (error) {
        log.warn({ err: error, localpart }, "password changed, but other devices could not be logged out");
      }
    }
    return c.json({});
  };
  app.post("/_matrix/client/v3/account/password", changePassword);
  app.post("/_matrix/client/r0/account/password", changePassword);

  app.notFound((c) => matrixError(c, 404, "M_UNRECOGNIZED", "Unrecognized request"));
  app.onError((error, c) => {
    const incident = incidentId();
    log.error({ err: error, incident, path: c.req.path }, "internal API request failed");
    return matrixError(c, 500, "M_UNKNOWN", `internal error (incident ${incident})`);
  });
  return app;
}
