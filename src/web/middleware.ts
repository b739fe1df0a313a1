// Middleware every page shares: security headers, the client's IP (X-Forwarded-For only from trusted proxies),
// anti-forgery values for plain HTML forms, and per-IP rate limits kept in the database.
import { randomBytes } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Kysely } from "kysely";
import { hitRateLimit } from "../db/rate-limit.repository.ts";
import type { Database } from "../db/schema.ts";
import { constantTimeEqual } from "../crypto/index.ts";
import { ipNetworkOf } from "../registration/policy.ts";
import { clientAddress, ipMatcher } from "./ip.ts";

/** A CSP that allows no inline script or style: every script and stylesheet comes from /static/. */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function securityHeaders(options: { https: boolean }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header("Content-Security-Policy", contentSecurityPolicy);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    // Links carry one-time tokens: never leak them to another site through Referer.
    c.header("Referrer-Policy", "no-referrer");
    c.header("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()");
    c.header("Cross-Origin-Opener-Policy", "same-origin");
    if (options.https) c.header("Strict-Transport-Security", "max-age=31536000");
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  };
}

/** The client's IP for a request (see clientAddress: X-Forwarded-For only from trusted proxies). */
export function clientIpResolver(trustedProxies: readonly string[]): (c: Context) => string {
  const trusted = trustedProxies.length === 0 ? () => false : ipMatcher(trustedProxies);
  return (c) =>
    clientAddress(trusted, getConnInfo(c).remote.address ?? "0.0.0.0", c.req.header("x-forwarded-for"));
}

export const CSRF_COOKIE = "vestibule_csrf";
export const CSRF_FIELD = "_csrf";

/** The anti-forgery value for this visitor (set as a cookie on first use); forms carry it as a hidden input. */
export function csrfToken(c: Context, secure: boolean): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{32}$/.test(existing)) return existing;
  const token = randomBytes(24).toString("base64url");
  setCookie(c, CSRF_COOKIE, token, { path: "/", httpOnly: true, sameSite: "Lax", secure });
  return token;
}

/**
 * Double-submit check: the form's hidden value must equal the cookie, and a browser that says the request is
 * cross-site (Sec-Fetch-Site) is refused outright.
 */
export function csrfValid(c: Context, submitted: unknown): boolean {
  if (c.req.header("sec-fetch-site") === "cross-site") return false;
  const cookie = getCookie(c, CSRF_COOKIE);
  return (
    typeof submitted === "string" &&
    typeof cookie === "string" &&
    cookie.length > 0 &&
    constantTimeEqual(cookie, submitted)
  );
}

export type RateLimitName = "register" | "usernameCheck" | "verify" | "passwordSet" | "inviteCheck";

export interface RateLimiter {
  /** Counts a hit for the client; returns the seconds to wait when over the limit. */
  check(
    c: Context,
    name: RateLimitName,
    extraKey?: string,
  ): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
}

export function createRateLimiter(deps: {
  db: Kysely<Database>;
  limits: Record<RateLimitName, { points: number; windowSeconds: number }>;
  clientIp: (c: Context) => string;
  clock: () => Date;
  /** web.ipv6Prefix: IPv6 clients share a limit per network of this size. */
  ipv6Prefix: number;
}): RateLimiter {
  return {
    async check(c, name, extraKey) {
      const now = deps.clock();
      const network = ipNetworkOf(deps.clientIp(c), deps.ipv6Prefix);
      const key = `${name}:ip:${network}${extraKey ? `:${extraKey}` : ""}`;
      const result = await hitRateLimit(deps.db, key, deps.limits[name], now);
      if (result.allowed) return { allowed: true };
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((result.resetAt.getTime() - now.getTime()) / 1000)),
      };
    },
  };
}
