// The public web application: shared middleware, then the route modules. A new route module exports
// `mountX(app, deps)` and is mounted in the list at the bottom of createWebApp.
import { readdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { extname, join, resolve } from "node:path";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { routePath } from "hono/route";
import { incidentId, isAppError } from "../errors.ts";
import type { AppDeps } from "../start.ts";
import { sendPage, type WebDeps, type WebEnv } from "./context.ts";
import { pickLocale } from "./i18n.ts";
import { monitoringAudience, publicHealth } from "./monitoring.ts";
import { siteMessages } from "./messages/site.ts";
import { clientIpResolver, createRateLimiter, csrfToken, securityHeaders } from "./middleware.ts";
import { MAX_FORM_BYTES, notFoundPage, refuseNulInUrl } from "./routes/common.ts";
import { mountSignup } from "./routes/signup.ts";
import { mountVerify } from "./routes/verify.ts";
import { mountCredentials } from "./routes/credentials.ts";
import { mountInvite } from "./routes/invite.ts";
import { mountAdmin } from "./routes/admin.ts";
import { mountRotatingToken } from "./routes/rotating-token.ts";
import { createPasswordSetter } from "../homeserver/credentials.ts";
import { messagePage } from "./views/layout.ts";

const publicDir = resolve(import.meta.dirname, "../../public");
const contentTypes: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** The static files, read once: few and small, and serving them from memory keeps GET / fast. */
function loadStatic(): Map<string, { body: Uint8Array; type: string; etag: string }> {
  const files = new Map<string, { body: Uint8Array; type: string; etag: string }>();
  let names: string[];
  try {
    names = readdirSync(publicDir);
  } catch {
    return files;
  }
  for (const name of names) {
    const type = contentTypes[extname(name)];
    if (!type) continue;
    const body = new Uint8Array(readFileSync(join(publicDir, name)));
    files.set(name, {
      body,
      type,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`,
    });
  }
  return files;
}

export type WebAppDeps = Pick<
  AppDeps,
  | "health"
  | "metrics"
  | "config"
  | "database"
  | "store"
  | "homeserver"
  | "secretBox"
  | "logger"
  | "clock"
  | "passwordHasher"
  | "moderation"
>;

export function createWebApp(deps: WebAppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { config } = deps;
  const https = config.publicUrl.startsWith("https:");
  const clientIp = clientIpResolver(config.web.trustedProxies);
  const monitoring = monitoringAudience(config.web);
  const log = deps.logger.child({ component: "web" });
  const webDeps: WebDeps = {
    config,
    db: deps.database.db,
    store: deps.store,
    homeserver: deps.homeserver,
    secretBox: deps.secretBox,
    logger: log,
    clock: deps.clock,
    rateLimiter: createRateLimiter({
      db: deps.database.db,
      limits: config.web.rateLimits,
      ipv6Prefix: config.web.ipv6Prefix,
      clientIp,
      clock: deps.clock,
    }),
    homeserverDown: () => deps.health.get("homeserver")?.status === "down",
    moderation: deps.moderation,
  };
  const staticFiles = loadStatic();

  // Latency per route pattern (never the raw path: it may hold a token).
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    deps.metrics.httpDuration.observe(
      { method: c.req.method, route: routePath(c) || "unmatched", status: String(c.res.status) },
      (performance.now() - started) / 1000,
    );
  });

  const inAudience = (c: Context) =>
    monitoring({
      peer: getConnInfo(c).remote.address ?? "",
      forwardedFor: c.req.header("x-forwarded-for"),
      authorization: c.req.header("authorization"),
    });
  app.get("/healthz", (c) => {
    const snapshot = deps.health.snapshot();
    c.header("Cache-Control", "no-store");
    return c.json(inAudience(c) ? snapshot : publicHealth(snapshot), snapshot.status === "down" ? 503 : 200);
  });

  app.get("/metrics", async (c) => {
    if (!inAudience(c)) return c.text("Forbidden\n", 403);
    return c.body(await deps.metrics.render(), 200, { "content-type": deps.metrics.contentType });
  });

  app.get("/static/:name", (c) => {
    const file = staticFiles.get(c.req.param("name"));
    if (!file) return c.text("Not found\n", 404);
    if (c.req.header("if-none-match") === file.etag) return c.body(null, 304);
    return c.body(file.body as unknown as ArrayBuffer, 200, {
      "content-type": file.type,
      etag: file.etag,
      "cache-control": "public, max-age=3600",
      "x-content-type-options": "nosniff",
    });
  });

  app.use(securityHeaders({ https }));
  app.use(
    bodyLimit({
      maxSize: MAX_FORM_BYTES,
      onError: (c) => {
        const page = {
          locale: config.i18n.defaultLocale,
          t: siteMessages[config.i18n.defaultLocale],
          csrf: "",
          path: c.req.path,
        };
        // The rest of the body is never read: the connection cannot carry another request, so say it closes.
        c.header("Connection", "close");
        return c.html(messagePage(page, page.t.tooLargeTitle, [page.t.tooLargeBody]) as string, 413);
      },
    }),
  );
  app.use(async (c, next) => {
    const locale = pickLocale(c, config.i18n.defaultLocale);
    c.set("clientIp", clientIp(c));
    c.set("page", { locale, t: siteMessages[locale], csrf: csrfToken(c, https), path: c.req.path });
    await next();
  });
  app.use(refuseNulInUrl);

  const setPassword = createPasswordSetter({
    config,
    db: deps.database.db,
    homeserver: deps.homeserver,
    hasher: deps.passwordHasher,
    clock: deps.clock,
  });
  for (const mount of [mountSignup, mountVerify, mountInvite, mountAdmin, mountRotatingToken])
    mount(app, webDeps);
  mountCredentials(app, { ...webDeps, setPassword });

  app.notFound((c) => notFoundPage(c));
  app.onError((error, c) => {
    // Bad input never reaches here by design; anything that does is a bug or a broken dependency.
    const incident = incidentId();
    log.error({ err: error, incident, route: routePath(c), method: c.req.method }, "request failed");
    const unavailable = isAppError(error) && error.code === "unavailable";
    if (c.req.path.startsWith("/api/"))
      return c.json({ error: "internal", incident }, unavailable ? 503 : 500);
    const page = c.var.page ?? {
      locale: config.i18n.defaultLocale,
      t: siteMessages[config.i18n.defaultLocale],
      csrf: "",
      path: c.req.path,
    };
    return sendPage(
      c,
      messagePage(page, page.t.errorTitle, [page.t.errorBody(incident)]),
      unavailable ? 503 : 500,
    );
  });
  return app;
}
