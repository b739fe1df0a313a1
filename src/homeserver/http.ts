// One HTTP call to the homeserver: JSON in and out, a timeout on every call, Matrix errors mapped to AppError.
import { AppError } from "../errors.ts";

export interface MatrixErrorBody {
  errcode?: string;
  error?: string;
  retry_after_ms?: number;
  [key: string]: unknown;
}

export interface HttpResult<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface HttpOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

/** What is safe to show of a path in logs and errors: user IDs yes, tokens no. */
function shownPath(path: string): string {
  return path.replace(/registration_tokens\/[^/?]+/, "registration_tokens/…").split("?")[0]!;
}

/**
 * Sends a request and returns status + parsed body for any HTTP answer (callers decide what a 4xx means).
 * Network failures and timeouts throw AppError("unavailable").
 */
export async function request<T = MatrixErrorBody>(
  http: HttpOptions,
  method: string,
  path: string,
  options: { accessToken?: string | undefined; body?: unknown } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.accessToken) headers["authorization"] = `Bearer ${options.accessToken}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await http.fetch(`${http.baseUrl}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(http.timeoutMs),
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    throw new AppError(
      "unavailable",
      timedOut
        ? `homeserver did not answer ${method} ${shownPath(path)} within ${http.timeoutMs} ms`
        : `homeserver unreachable (${method} ${shownPath(path)}${cause})`,
      {
        publicMessage: "The homeserver is not reachable right now.",
        detail: { timeout: timedOut },
        cause: error,
      },
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new AppError("unavailable", `homeserver answer to ${method} ${shownPath(path)} was cut off`, {
      cause: error,
    });
  }
  let body: unknown = {};
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      // A proxy's HTML error page in front of the homeserver, for instance.
      body = { error: text.slice(0, 200) };
    }
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** The delay a 429 asks for: retry_after_ms in the body, else the Retry-After header (seconds). */
export function retryAfterMs(result: HttpResult<MatrixErrorBody>): number | undefined {
  if (typeof result.body.retry_after_ms === "number") return result.body.retry_after_ms;
  const header = result.headers.get("retry-after");
  if (header && /^\d+$/.test(header)) return Number(header) * 1000;
  return undefined;
}

/**
 * Turns a non-2xx answer into an AppError: 5xx and 429 may pass ("unavailable", with the retry delay); 4xx are the
 * homeserver refusing ("rejected", or "forbidden" for auth problems, "not_found" for 404).
 */
export function errorFor(method: string, path: string, result: HttpResult<MatrixErrorBody>): AppError {
  const errcode = typeof result.body.errcode === "string" ? result.body.errcode : "M_UNKNOWN";
  const message = typeof result.body.error === "string" ? result.body.error : `HTTP ${result.status}`;
  const detail: Record<string, unknown> = { status: result.status, errcode };
  const what = `${method} ${shownPath(path)}: ${result.status} ${errcode} ${message}`;
  if (result.status === 429 || errcode === "M_LIMIT_EXCEEDED") {
    const delay = retryAfterMs(result);
    if (delay !== undefined) detail["retryAfterMs"] = delay;
    return new AppError("unavailable", `homeserver rate-limited ${what}`, { detail });
  }
  if (result.status >= 500) return new AppError("unavailable", `homeserver failed ${what}`, { detail });
  if (
    result.status === 401 ||
    (result.status === 403 && (errcode === "M_FORBIDDEN" || errcode === "M_UNKNOWN_TOKEN"))
  ) {
    return new AppError("forbidden", `homeserver refused ${what}`, { detail, publicMessage: message });
  }
  if (result.status === 404) return new AppError("not_found", `homeserver: ${what}`, { detail });
  return new AppError("rejected", `homeserver rejected ${what}`, { detail, publicMessage: message });
}

export function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}
