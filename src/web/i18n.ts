// Languages: which one a visitor gets (?lang= → cookie → Accept-Language → i18n.defaultLocale), and the shape of
// a message catalog. Each feature keeps its own catalog module with an `en` object and a `de` object of the same
// type, so a key missing in one language is a type error.
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { locales, type Locale } from "../registration/types.ts";

export type { Locale };
export const LOCALE_COOKIE = "vestibule_lang";

/** A catalog: the German messages must have exactly the English ones' keys and types. */
export type Catalog<T> = { en: T; de: T };

export function isLocale(value: string | undefined): value is Locale {
  return value !== undefined && (locales as readonly string[]).includes(value);
}

/** Best match from an Accept-Language header, honouring q-values. */
export function fromAcceptLanguage(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(",")
    .map((part) => {
      const [tag, ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { tag: (tag ?? "").toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((entry) => entry.tag !== "" && Number.isFinite(entry.q) && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const base = tag.split("-")[0];
    if (isLocale(base)) return base;
  }
  return undefined;
}

/** Picks the visitor's language; `?lang=` also sets the cookie so the choice sticks. */
export function pickLocale(c: Context, defaultLocale: Locale): Locale {
  const asked = c.req.query("lang");
  if (isLocale(asked)) {
    setCookie(c, LOCALE_COOKIE, asked, { path: "/", sameSite: "Lax", maxAge: 365 * 86_400, httpOnly: true });
    return asked;
  }
  const cookie = getCookie(c, LOCALE_COOKIE);
  if (isLocale(cookie)) return cookie;
  return fromAcceptLanguage(c.req.header("accept-language")) ?? defaultLocale;
}
