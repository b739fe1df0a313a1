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
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { parseEventId, parseRoomId, type EventId, type RoomId, type UserId } from "../registration/types.ts";

/** An id the homeserver handed back, checked like any other value from outside. */
function checked<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new AppError("unavailable", `${what}: the homeserver answered no valid id`);
  return value;
}

/**
 * A sync response, checked only as far as the loop steers by it (tokens, rooms, timeline flags). Events stay
 * `unknown`: each is checked on its own by parseEvent, so one odd event cannot make the whole response unreadable.
 */
const joinedRoomSync = z.object({
  timeline: z
    .object({
      events: z.array(z.unknown()).optional(),
      limited: z.boolean().optional(),
      prev_batch: z.string().optional(),
    })
    .optional(),
  state: z.object({ events: z.array(z.unknown()).optional() }).optional(),
});
const syncResponse = z.object({
  next_batch: z.string().min(1),
  rooms: z
    .object({
      join: z.record(z.string(), joinedRoomSync).optional(),
      invite: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

export type JoinedRoomSync = z.infer<typeof joinedRoomSync>;
export type SyncResponse = z.infer<typeof syncResponse>;

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
  resolveRoom(idOrAlias: string): Promise<RoomId>;
  join(idOrAlias: string): Promise<RoomId>;
  joinedRooms(): Promise<string[]>;
  sync(options: {
    since: string | undefined;
    timeoutMs: number;
    filter: object;
    signal?: AbortSignal;
  }): Promise<SyncResponse>;
  /** Events between two tokens, oldest first (for a gappy sync); unchecked, like the sync's. */
  backfill(roomId: string, from: string, to: string | undefined, maxEvents: number): Promise<unknown[]>;
  /** PUT /send with a caller-chosen transaction id: a retry with the same id does not send twice. */
  send(roomId: RoomId, type: string, content: Record<string, unknown>, txnId: string): Promise<EventId>;
  /** All current state events of a room (unchecked). */
  roomState(roomId: string): Promise<unknown[]>;
  createDirectRoom(userId: UserId): Promise<RoomId>;
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
  ): Promise<T> => {
    try {
      return await client.authedRequest(method, path, query, body);
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
      if (idOrAlias.startsWith("!")) return checked(parseRoomId(idOrAlias), `room ${idOrAlias}`);
      const found = await request<{ room_id?: unknown }>(
        Method.Get,
        `/directory/room/${enc(idOrAlias)}`,
        `resolve ${idOrAlias}`,
      );
      return checked(parseRoomId(found.room_id), `resolve ${idOrAlias}`);
    },
    async join(idOrAlias) {
      const joined = await request<{ room_id?: unknown }>(
        Method.Post,
        `/join/${enc(idOrAlias)}`,
        `join ${idOrAlias}`,
        undefined,
        {},
      );
      return checked(parseRoomId(joined.room_id), `join ${idOrAlias}`);
    },
    async joinedRooms() {
      return (await request<{ joined_rooms: string[] }>(Method.Get, "/joined_rooms", "joined rooms"))
        .joined_rooms;
    },
    async sync({ since, timeoutMs, filter, signal }) {
      const query: Record<string, string> = { timeout: String(timeoutMs), filter: JSON.stringify(filter) };
      if (since) query["since"] = since;
      let response: unknown;
      try {
        response = await client.authedRequest<unknown>(Method.Get, "/sync", query, undefined, {
          localTimeoutMs: timeoutMs + 15_000,
          ...(signal ? { abortSignal: signal } : {}),
        });
      } catch (error) {
        throw toAppError(error, "sync");
      }
      const parsed = syncResponse.safeParse(response);
      // Not the homeserver's usual answer (a proxy's page, a broken server): like an outage, it may pass.
      if (!parsed.success)
        throw new AppError("unavailable", `sync: unexpected response (${parsed.error.message})`);
      return parsed.data;
    },
    async backfill(roomId, from, to, maxEvents) {
      const events: unknown[] = [];
      let token: string | undefined = from;
      while (token && events.length < maxEvents) {
        const query: Record<string, string> = { dir: "b", from: token, limit: "100" };
        if (to) query["to"] = to;
        const page = await request<{ chunk?: unknown; end?: unknown }>(
          Method.Get,
          `/rooms/${enc(roomId)}/messages`,
          "backfill",
          query,
        );
        if (!Array.isArray(page.chunk) || page.chunk.length === 0) break;
        events.push(...(page.chunk as unknown[]));
        token = typeof page.end === "string" ? page.end : undefined;
      }
      return events.reverse();
    },
    async send(roomId, type, content, txnId) {
      const sent = await request<{ event_id?: unknown }>(
        Method.Put,
        `/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`,
        `send ${type}`,
        undefined,
        content,
      );
      return checked(parseEventId(sent.event_id), `send ${type}`);
    },
    async roomState(roomId) {
      const state = await request<unknown>(Method.Get, `/rooms/${enc(roomId)}/state`, "room state");
      if (!Array.isArray(state)) throw new AppError("unavailable", "room state: not a list of events");
      return state as unknown[];
    },
    async createDirectRoom(userId) {
      const created = await request<{ room_id?: unknown }>(
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
      return checked(parseRoomId(created.room_id), "create direct room");
    },
    stop() {
      client.abort();
    },
  };
}
