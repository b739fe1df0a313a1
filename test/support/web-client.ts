// A tiny browser stand-in for route tests: keeps cookies, reads the anti-forgery value from the last page, posts
// forms the way a plain HTML form does (application/x-www-form-urlencoded), never follows redirects by itself.

export interface WebResponse {
  status: number;
  headers: Headers;
  body: string;
  location: string | null;
}

export class WebClient {
  readonly base: string;
  private readonly cookies = new Map<string, string>();
  private readonly extraHeaders: Record<string, string>;
  csrf: string | undefined;

  constructor(base: string, headers: Record<string, string> = {}) {
    this.base = base;
    this.extraHeaders = headers;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private remember(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  }

  async request(
    method: string,
    path: string,
    init: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<WebResponse> {
    const response = await fetch(new URL(path, this.base), {
      method,
      redirect: "manual",
      headers: { ...this.extraHeaders, cookie: this.cookieHeader(), ...init.headers },
      ...(init.body !== undefined ? { body: init.body as BodyInit } : {}),
    });
    this.remember(response);
    const body = await response.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(body);
    if (csrf) this.csrf = csrf[1];
    return {
      status: response.status,
      headers: response.headers,
      body,
      location: response.headers.get("location"),
    };
  }

  get(path: string, headers: Record<string, string> = {}) {
    return this.request("GET", path, { headers });
  }

  /** Posts a form; the anti-forgery value from the last page is added unless the fields set `_csrf`. */
  postForm(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    const params = new URLSearchParams();
    if (!("_csrf" in fields) && this.csrf) params.append("_csrf", this.csrf);
    for (const [key, value] of Object.entries(fields)) {
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
    }
    return this.request("POST", path, {
      body: params.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Sets a cookie as if the site had (e.g. a session opened outside this client). */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }
}

/** The text of the field error tied to `name` (aria-describedby target), or undefined. */
export function fieldError(body: string, name: string): string | undefined {
  const match = new RegExp(`<p class="error" id="f-${name}-error">([^<]*)</p>`).exec(body);
  return match?.[1];
}

/** The first URL in a text that starts with `prefix`. */
export function findLink(text: string, prefix: string): string {
  const match = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}[A-Za-z0-9_-]+`).exec(text);
  if (!match) throw new Error(`no link starting with ${prefix} in:\n${text}`);
  return match[0];
}
