// The page shell and the small building blocks forms are made of. Views are hono/html templates: every
// interpolated value is escaped; `raw` is used only for markup produced here.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Locale } from "../i18n.ts";
import type { SiteMessages } from "../messages/site.ts";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What every view needs to know about the request it renders for. */
export interface PageContext {
  locale: Locale;
  t: SiteMessages;
  csrf: string;
  /** Current path (without query), for the language switch. */
  path: string;
}

export function layout(
  page: PageContext,
  title: string,
  body: Html,
  options: { description?: string } = {},
): Html {
  const other: Locale = page.locale === "en" ? "de" : "en";
  return html`<!doctype html>
    <html lang="${page.locale}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · ${page.t.siteName}</title>
        ${options.description ? html`<meta name="description" content="${options.description}" />` : ""}
        <link rel="stylesheet" href="/static/style.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <script src="/static/app.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">${page.t.skipToContent}</a>
        <header class="site">
          <a class="brand" href="/">${page.t.siteName}</a>
          <nav aria-label="${page.t.language}">
            <a href="${page.path}?lang=${other}" hreflang="${other}" lang="${other}"
              >${other === "de" ? "Deutsch" : "English"}</a
            >
          </nav>
        </header>
        <main id="main" tabindex="-1">
          <h1>${title}</h1>
          ${body}
        </main>
        <footer class="site"><p>${page.t.footer}</p></footer>
      </body>
    </html>`;
}

/** A paragraph-style message page (check your email, link expired, …) with an optional action link. */
export function messagePage(
  page: PageContext,
  title: string,
  paragraphs: string[],
  action?: { href: string; label: string },
): Html {
  return layout(
    page,
    title,
    html`${paragraphs.map((p) => html`<p>${p}</p>`)}${action ? html`<p><a class="button" href="${action.href}">${action.label}</a></p>` : ""}`,
  );
}

export interface FieldOptions {
  name: string;
  label: string;
  value?: string;
  type?: "text" | "email" | "password";
  hint?: string;
  error?: string;
  required?: boolean;
  autocomplete?: string;
  maxlength?: number;
  multiline?: boolean;
  /** Extra attributes for progressive enhancement (data-*). */
  data?: Record<string, string>;
  /** A live region under the field (username check, password meter). */
  live?: boolean;
}

/** A labelled field whose hint and error are tied to it with aria-describedby. */
export function field(o: FieldOptions): Html {
  const id = `f-${o.name}`;
  const described = [o.hint ? `${id}-hint` : "", o.error ? `${id}-error` : "", o.live ? `${id}-live` : ""]
    .filter(Boolean)
    .join(" ");
  const attributes = [
    html` name="${o.name}"`,
    o.required ? raw(" required") : "",
    o.maxlength ? html` maxlength="${o.maxlength}"` : "",
    o.autocomplete ? html` autocomplete="${o.autocomplete}"` : "",
    described ? html` aria-describedby="${described}"` : "",
    o.error ? raw(' aria-invalid="true"') : "",
    ...Object.entries(o.data ?? {}).map(([k, v]) => html` data-${k}="${v}"`),
  ];
  const control = o.multiline
    ? html`<textarea id="${id}"${attributes} rows="4">${o.value ?? ""}</textarea>`
    : html`<input type="${o.type ?? "text"}" id="${id}"${attributes} value="${o.type === "password" ? "" : (o.value ?? "")}">`;
  return html`<div class="field${o.error ? " invalid" : ""}">
    <label for="${id}">${o.label}</label>
    ${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ""} ${control}
    ${o.live ? html`<p class="live" id="${id}-live" aria-live="polite"></p>` : ""}
    ${o.error ? html`<p class="error" id="${id}-error">${o.error}</p>` : ""}
  </div>`;
}

export function csrfInput(page: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${page.csrf}" />`;
}

export function errorSummary(page: PageContext, hasErrors: boolean): Html {
  return hasErrors
    ? html`<div class="alert" role="alert" tabindex="-1" id="form-errors">
        <p>${page.t.formHasErrors}</p>
      </div>`
    : html``;
}

/** Localised date-time for pages. */
export function formatDate(locale: Locale, date: Date): string {
  return (
    new Intl.DateTimeFormat(locale === "de" ? "de-DE" : "en-GB", {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone: "UTC",
    }).format(date) + " UTC"
  );
}
