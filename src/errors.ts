/**
 * One error type for everything that the outside world may see.
 *
 * `message` is for the log (may name internals); `publicMessage` is safe to show an applicant, a moderator or a
 * calling server. Expected outcomes (a taken username, an expired link) are returned as values, not thrown: an
 * AppError means a request could not be served as asked.
 */

/** Stable error codes. Each adapter maps them: the web layer to a status and a translated page, the internal
 * API to `{ errcode, error }`, the bot to a reply. */
export type ErrorCode =
  /** Input failed validation (a form field, a JSON body, a command argument). */
  | "bad_input"
  /** The thing asked for does not exist (request, token, page). */
  | "not_found"
  /** The caller may not do this (not a moderator, wrong secret). */
  | "forbidden"
  /** The state does not allow this (e.g. approving a declined request). */
  | "conflict"
  /** Too many attempts; retry later. */
  | "rate_limited"
  /** The configuration is wrong; start-up stops. */
  | "config"
  /** A dependency (homeserver, database, SMTP) failed in a way that may pass. */
  | "unavailable"
  /** A dependency refused for good (name taken on the homeserver, invalid name, forbidden). */
  | "rejected"
  /** A bug: anything we did not expect. */
  | "internal";

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly publicMessage: string;
  /** Extra machine-readable detail (e.g. the Matrix errcode, a retry delay). Never secrets. */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { publicMessage?: string; detail?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.publicMessage = options.publicMessage ?? defaultPublicMessage[code];
    this.detail = options.detail ?? {};
  }
}

const defaultPublicMessage: Record<ErrorCode, string> = {
  bad_input: "The input is not valid.",
  not_found: "Not found.",
  forbidden: "You may not do this.",
  conflict: "This cannot be done in the current state.",
  rate_limited: "Too many attempts. Please try again later.",
  config: "The configuration is not valid.",
  unavailable: "A service is temporarily unavailable. Please try again later.",
  rejected: "The request was refused.",
  internal: "Something went wrong.",
};

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** A short random id to tie a generic public error message to the full error in the log. */
export function incidentId(): string {
  return Math.random().toString(36).slice(2, 10);
}

/**
 * The `default` of a switch over a discriminated union: it compiles only when every member was handled, so a new
 * member cannot be forgotten silently. Reaching it at run time is a bug.
 */
export function unreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
