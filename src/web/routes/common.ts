// Pages and helpers several routes share: reading a form body safely, and the standard refusal pages.
import type { MiddlewareHandler } from "hono";
import { sendPage, type WebContext, type WebEnv } from "../context.ts";
import { messagePage } from "../views/layout.ts";

/** Largest form body the site accepts; anything bigger is refused before it is read. */
export const MAX_FORM_BYTES = 64 * 1024;

/**
 * The urlencoded or multipart form fields, or null when the body cannot be read (malformed encoding, wrong
 * content type). Files are never accepted.
 */
export async function formBody(c: WebContext): Promise<Record<string, string | string[]> | null> {
  const type = c.req.header("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return null;
  try {
    const body = await c.req.parseBody({ all: true });
    const fields: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === "string") fields[key] = value;
      else if (Array.isArray(value)) fields[key] = value.filter((v): v is string => typeof v === "string");
    }
    // No field needs U+0000 and PostgreSQL cannot store or compare it: such a form is not one a person sent.
    const values = Object.entries(fields).flatMap(([key, value]) => [
      key,
      ...(Array.isArray(value) ? value : [value]),
    ]);
    if (values.some((v) => v.includes("\0"))) return null;
    return fields;
  } catch {
    return null;
  }
}

/**
 * The one check of every URL (path and query) for an encoded NUL (%00), before any route reads it: a translated
 * 400 page (JSON for /api/), never a database error. Forms get the same check in formBody.
 */
export const refuseNulInUrl: MiddlewareHandler<WebEnv> = async (c, next) => {
  if (!/%00/i.test(c.req.url)) return next();
  if (c.req.path.startsWith("/api/")) return c.json({ error: "bad_request", code: "bad_request" }, 400);
  return badRequestPage(c);
};

export function badRequestPage(c: WebContext) {
  const t = c.var.page.t;
  return sendPage(
    c,
    messagePage(c.var.page, t.badRequestTitle, [t.badRequestBody], { href: "/", label: t.home }),
    400,
  );
}

export function csrfPage(c: WebContext) {
  const t = c.var.page.t;
  return sendPage(
    c,
    messagePage(c.var.page, t.csrfTitle, [t.csrfBody], { href: c.req.path, label: t.startOver }),
    403,
  );
}

export function rateLimitedPage(c: WebContext, retryAfterSeconds: number) {
  const t = c.var.page.t;
  c.header("Retry-After", String(retryAfterSeconds));
  return sendPage(
    c,
    messagePage(c.var.page, t.rateLimitedTitle, [t.rateLimitedBody(Math.ceil(retryAfterSeconds / 60))]),
    429,
  );
}

export function notFoundPage(c: WebContext) {
  const t = c.var.page.t;
  return sendPage(
    c,
    messagePage(c.var.page, t.notFoundTitle, [t.notFoundBody], { href: "/", label: t.home }),
    404,
  );
}

/** A link that does not (or no longer) work: unknown, expired or used. */
export function linkProblemPage(c: WebContext, problem: "unknown" | "expired" | "used") {
  const t = c.var.page.t;
  const [title, body, status] =
    problem === "expired"
      ? [t.linkExpiredTitle, t.linkExpiredBody, 410 as const]
      : problem === "used"
        ? [t.linkUsedTitle, t.linkUsedBody, 410 as const]
        : [t.linkInvalidTitle, t.linkInvalidBody, 404 as const];
  return sendPage(c, messagePage(c.var.page, title, [body], { href: "/", label: t.startOver }), status);
}
