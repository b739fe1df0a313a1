// The bot's view of the homeserver, through matrix-js-sdk's authenticated HTTP client (MatrixHttpApi: the same
// client MatrixClient uses, without the rest of the SDK — the whole SDK would cost the bot process about 35 MB more
// resident memory for code it never runs). The bot runs its own /sync loop on top of it (see bot.ts): js-sdk's
// built-in sync keeps its position in memory only, and the bot must resume exactly where it stopped after a restart.
import {
  ClientPrefix,
  MatrixHttpApi,
  Method,
  type HttpApiEvent,
  type HttpApiEventHandlerMap,
  type IHttpOpts,
} from "matrix-js-sdk/lib/http-api/index.js";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { TypedEventEmitter } from "matrix-js-sdk/lib/models/typed-event-emitter.js";
import { AppError } from "../errors.ts";
import type { Logger } from "../logger.ts";

/** An event as the client-server API returns it. */
export interface RawEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  state_key?: string;
  content: Record<string, unknown>;
  redacts?: string;
  unsigned?: Record<string, unknown>;
}

export interface JoinedRoomSync {
  timeline?: { events?: RawEvent[]; limited?: boolean; prev_batch?: string };
  state?: { events?: RawEvent[] };
}

export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, JoinedRoomSync>;
    invite?: Record<string, unknown>;
    leave?: Record<string, unknown>;
  };
}

interface MatrixLikeError {
  httpStatus?: number;
  errcode?: string;
  data?: { retry_after_ms?: number; error?: string };
  message?: string;
}

/** js-sdk errors → our AppError codes: 429/5xx/network may pass, 4xx are refusals. */
export function toAppError(error: unknown, what: string): AppError {
  const e = error as MatrixLikeError;
  const status = e.httpStatus;
  const detail: Record<string, unknown> = { status, errcode: e.errcode };
  if (status === 429 || e.errcode === "M_LIMIT_EXCEEDED") {
    if (typeof e.data?.retry_after_ms === "number") detail["retryAfterMs"] = e.data.retry_after_ms;
    return new AppError("unavailable", `${what}: rate limited`, { detail, cause: error });
  }
  if (status === undefined || status >= 500)
    return new AppError("unavailable", `${what}: ${e.message ?? String(error)}`, { detail, cause: error });
  if (status === 401 || status === 403)
    return new AppError("forbidden", `${what}: ${e.errcode ?? status} ${e.data?.error ?? ""}`.trim(), {
      detail,
      cause: error,
    });
  if (status === 404) return new AppError("not_found", `${what}: not found`, { detail, cause: error });
  return new AppError("rejected", `${what}: ${e.errcode ?? status} ${e.data?.error ?? ""}`.trim(), {
    detail,
    cause: error,
  });
}

let sdkLoggerRouted = false;
/** js-sdk logs through its own global logger to the console; send it to pino (debug) instead. */
export function routeSdkLogger(logger: Logger): void {
  if (sdkLoggerRouted) return;
  sdkLoggerRouted = true;
  const log = logger.child({ component: "matrix-js-sdk" });
  const loglevel = sdkLogger as unknown as {
    methodFactory: (name: string) => (...args: unknown[]) => void;
    setLevel(level: string | number, persist?: boolean): void;
    getLevel(): number;
  };
  loglevel.methodFactory =
    (name: string) =>
    (...args: unknown[]) => {
      const text = args
        .map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a)))
        .join(" ");
      if (name === "error" || name === "warn") log.warn(text);
      else log.debug(text);
    };
  loglevel.setLevel(loglevel.getLevel(), false);
}

export interface MatrixApi {
  readonly userId: string;
  whoami(): Promise<{ userId: string; deviceId: string | undefined }>;
  resolveRoom(idOrAlias: string): Promise<string>;
  join(idOrAlias: string): Promise<string>;
  joinedRooms(): Promise<string[]>;
  sync(options: {
    since: string | undefined;
    timeoutMs: number;
    filter: object;
    signal?: AbortSignal;
  }): Promise<SyncResponse>;
  /** Events between two tokens, oldest first (for a gappy sync). */
  backfill(roomId: string, from: string, to: string | undefined, maxEvents: number): Promise<RawEvent[]>;
  /** PUT /send with a caller-chosen transaction id: a retry with the same id does not send twice. */
  send(roomId: string, type: string, content: Record<string, unknown>, txnId: string): Promise<string>;
  state<T extends object>(roomId: string, type: string, stateKey?: string): Promise<T | null>;
  /** All current state events of a room. */
  roomState(roomId: string): Promise<RawEvent[]>;
  relations(roomId: string, eventId: string, relType: string, eventType: string): Promise<RawEvent[]>;
  createDirectRoom(userId: string): Promise<string>;
  stop(): void;
}

export async function connectMatrix(options: {
  baseUrl: string;
  userId: string;
  accessToken?: string | undefined;
  password?: string | undefined;
  deviceId?: string | undefined;
  timeoutMs: number;
}): Promise<MatrixApi> {
  const http = (accessToken?: string) =>
    new MatrixHttpApi(new TypedEventEmitter<HttpApiEvent, HttpApiEventHandlerMap>(), {
      baseUrl: options.baseUrl,
      prefix: ClientPrefix.V3,
      onlyData: true,
      localTimeoutMs: options.timeoutMs,
      ...(accessToken ? { accessToken } : {}),
    } satisfies IHttpOpts);
  let client: ReturnType<typeof http>;
  if (options.accessToken) {
    client = http(options.accessToken);
  } else if (options.password) {
    const localpart = options.userId.slice(1).split(":")[0]!;
    let response: { access_token: string; device_id: string; user_id: string };
    try {
      response = await http().request(Method.Post, "/login", undefined, {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: localpart },
        password: options.password,
        ...(options.deviceId ? { device_id: options.deviceId } : {}),
        initial_device_display_name: "Vestibule moderator bot",
      });
    } catch (error) {
      throw toAppError(error, "bot login");
    }
    client = http(response.access_token);
  } else {
    throw new AppError("config", "bot.accessToken or bot.password is required");
  }

  const request = async <T>(
    method: Method,
    path: string,
    what: string,
    query?: Record<string, string>,
    body?: object,
    prefix?: string,
  ): Promise<T> => {
    try {
      return await client.authedRequest(method, path, query, body, prefix ? { prefix } : {});
    } catch (error) {
      throw toAppError(error, what);
    }
  };
  const enc = encodeURIComponent;

  return {
    userId: options.userId,
    async whoami() {
      const me = await request<{ user_id: string; device_id?: string }>(
        Method.Get,
        "/account/whoami",
        "whoami",
      );
      return { userId: me.user_id, deviceId: me.device_id };
    },
    async resolveRoom(idOrAlias) {
      if (idOrAlias.startsWith("!")) return idOrAlias;
      const found = await request<{ room_id: string }>(
        Method.Get,
        `/directory/room/${enc(idOrAlias)}`,
        `resolve ${idOrAlias}`,
      );
      return found.room_id;
    },
    async join(idOrAlias) {
      const joined = await request<{ room_id: string }>(
        Method.Post,
        `/join/${enc(idOrAlias)}`,
        `join ${idOrAlias}`,
        undefined,
        {},
      );
      return joined.room_id;
    },
    async joinedRooms() {
      return (await request<{ joined_rooms: string[] }>(Method.Get, "/joined_rooms", "joined rooms"))
        .joined_rooms;
    },
    async sync({ since, timeoutMs, filter, signal }) {
      const query: Record<string, string> = { timeout: String(timeoutMs), filter: JSON.stringify(filter) };
      if (since) query["since"] = since;
      try {
        return await client.authedRequest<SyncResponse>(Method.Get, "/sync", query, undefined, {
          localTimeoutMs: timeoutMs + 15_000,
          ...(signal ? { abortSignal: signal } : {}),
        });
      } catch (error) {
        throw toAppError(error, "sync");
      }
    },
    async backfill(roomId, from, to, maxEvents) {
      const events: RawEvent[] = [];
      let token: string | undefined = from;
      while (token && events.length < maxEvents) {
        const query: Record<string, string> = { dir: "b", from: token, limit: "100" };
        if (to) query["to"] = to;
        const page = await request<{ chunk: RawEvent[]; end?: string }>(
          Method.Get,
          `/rooms/${enc(roomId)}/messages`,
          "backfill",
          query,
        );
        if (page.chunk.length === 0) break;
        events.push(...page.chunk);
        token = page.end;
      }
      return events.reverse();
    },
    async send(roomId, type, content, txnId) {
      const sent = await request<{ event_id: string }>(
        Method.Put,
        `/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`,
        `send ${type}`,
        undefined,
        content,
      );
      return sent.event_id;
    },
    async state<T extends object>(roomId: string, type: string, stateKey = "") {
      try {
        return await request<T>(
          Method.Get,
          `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`,
          `state ${type}`,
        );
      } catch (error) {
        if (error instanceof AppError && error.code === "not_found") return null;
        throw error;
      }
    },
    async roomState(roomId) {
      return request<RawEvent[]>(Method.Get, `/rooms/${enc(roomId)}/state`, "room state");
    },
    async relations(roomId, eventId, relType, eventType) {
      const events: RawEvent[] = [];
      let from: string | undefined;
      do {
        const query: Record<string, string> = { limit: "100" };
        if (from) query["from"] = from;
        const page = await request<{ chunk: RawEvent[]; next_batch?: string }>(
          Method.Get,
          `/rooms/${enc(roomId)}/relations/${enc(eventId)}/${enc(relType)}/${enc(eventType)}`,
          "relations",
          query,
          undefined,
          "/_matrix/client/v1",
        );
        events.push(...page.chunk);
        from = page.next_batch;
      } while (from);
      return events;
    },
    async createDirectRoom(userId) {
      const created = await request<{ room_id: string }>(
        Method.Post,
        "/createRoom",
        "create direct room",
        undefined,
        {
          preset: "trusted_private_chat",
          is_direct: true,
          invite: [userId],
        },
      );
      return created.room_id;
    },
    stop() {
      client.abort();
    },
  };
}
