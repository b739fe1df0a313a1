import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/** Paths pino blanks wherever they appear in a logged object: nothing secret reaches the log. */
const redactPaths = [
  "password",
  "*.password",
  "newPassword",
  "*.new_password",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "access_token",
  "*.access_token",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
];

export interface LoggerOptions {
  level: string;
  /** Where log lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: redactPaths, censor: "[redacted]" },
      base: { name: "vestibule" },
    },
    options.destination ?? pino.destination(1),
  );
}
