// Per-request values every route can read (c.var), and the dependencies route modules are built with.
import type { Context } from "hono";
import type { Config } from "../config/index.ts";
import type { Db } from "../db/database.ts";
import type { HomeserverClient } from "../homeserver/index.ts";
import type { SecretBox } from "../crypto/index.ts";
import type { Logger } from "../logger.ts";
import type { ModerationDeps } from "../moderation/index.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import type { UserId } from "../registration/types.ts";
import type { Html, PageContext } from "./views/layout.ts";
import type { RateLimiter } from "./middleware.ts";

export interface WebEnv {
  Variables: {
    page: PageContext;
    clientIp: string;
    /** The signed-in moderator on /admin pages (rights checked for this request). */
    moderator: UserId;
  };
}

export type WebContext = Context<WebEnv>;

/** What route modules depend on. */
export interface WebDeps {
  config: Config;
  db: Db;
  store: RegistrationStore;
  homeserver: HomeserverClient;
  secretBox: SecretBox | undefined;
  logger: Logger;
  clock: () => Date;
  rateLimiter: RateLimiter;
  /** The moderation use cases (the portal). */
  moderation: ModerationDeps;
  /** The health probe last found the homeserver unreachable. */
  homeserverDown(): boolean;
}

/** Sends a rendered page with a status code. */
export async function sendPage(
  c: WebContext,
  body: Html,
  status: 200 | 400 | 403 | 404 | 409 | 410 | 413 | 422 | 429 | 500 | 503 = 200,
) {
  return c.html(await body, status);
}
