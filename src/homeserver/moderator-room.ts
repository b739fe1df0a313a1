// Reads the moderators' room for the rights check (src/moderation/rights.ts): the room's creators (room v12), its
// power levels and one user's membership. Two ways in: the client API with the bot's access token (the bot is in
// the room), or, when the bot logs in with a password and its token is unknown here, the Synapse admin API with
// the admin token. Any answer that is not a clear fact (network, 5xx, 403 because the bot was removed) throws, and
// the caller refuses to act.
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { ModeratorRoomFacts, ModeratorRoomReader } from "../moderation/rights.ts";
import type { UserId } from "../registration/types.ts";
import { errorFor, isOk, request, type HttpOptions, type MatrixErrorBody } from "./http.ts";

const stateEvent = z.object({
  type: z.string(),
  state_key: z.string(),
  sender: z.string(),
  content: z.record(z.string(), z.unknown()),
});
type StateEvent = z.infer<typeof stateEvent>;

const createContent = z.looseObject({
  room_version: z.string().optional(),
  additional_creators: z.array(z.string()).optional(),
});
const powerLevelsContent = z.looseObject({
  users: z.record(z.string(), z.unknown()).optional(),
  users_default: z.unknown().optional(),
});
const memberContent = z.looseObject({ membership: z.string() });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new AppError("unavailable", `the homeserver's ${what} of the moderators' room is malformed`);
  return result.data;
}

export interface ModeratorRoomReaderOptions {
  url: string;
  /** The moderators' room: an ID (!x:server) or an alias (#x:server), resolved once. */
  room: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

function httpFor(options: ModeratorRoomReaderOptions): HttpOptions {
  return {
    baseUrl: options.url.replace(/\/+$/, ""),
    timeoutMs: options.timeoutMs,
    fetch: options.fetch ?? fetch,
  };
}

async function get<T>(http: HttpOptions, path: string, accessToken: string): Promise<T | null> {
  const result = await request<T & MatrixErrorBody>(http, "GET", path, { accessToken });
  if (result.status === 404) return null;
  if (!isOk(result.status)) throw errorFor("GET", path, result);
  return result.body;
}

function resolver(http: HttpOptions, room: string, accessToken: string): () => Promise<string> {
  let roomId: string | undefined = room.startsWith("!") ? room : undefined;
  return async () => {
    if (roomId) return roomId;
    const path = `/_matrix/client/v3/directory/room/${encodeURIComponent(room)}`;
    const found = await get<{ room_id?: string }>(http, path, accessToken);
    if (!found?.room_id) throw new AppError("unavailable", `the moderators' room ${room} does not resolve`);
    roomId = found.room_id;
    return roomId;
  };
}

function createFacts(
  events: readonly StateEvent[],
): Pick<ModeratorRoomFacts, "roomVersion" | "creator" | "additionalCreators"> {
  const create = events.find((e) => e.type === "m.room.create" && e.state_key === "");
  if (!create) throw new AppError("unavailable", "the moderators' room has no m.room.create event");
  const content = parse(createContent, create.content, "m.room.create");
  return {
    // Rooms without room_version are version 1 (spec: m.room.create).
    roomVersion: content.room_version ?? "1",
    creator: create.sender,
    additionalCreators: content.additional_creators ?? [],
  };
}

/** Through the client API as the bot (a member of the room). */
export function createClientRoomReader(
  options: ModeratorRoomReaderOptions & { accessToken: string },
): ModeratorRoomReader {
  const http = httpFor(options);
  const roomId = resolver(http, options.room, options.accessToken);
  // Who created the room never changes: read the full state once for it.
  let creation: Promise<ReturnType<typeof createFacts>> | undefined;
  const creationFacts = async (id: string) => {
    creation ??= (async () => {
      const events = await get<unknown>(
        http,
        `/_matrix/client/v3/rooms/${encodeURIComponent(id)}/state`,
        options.accessToken,
      );
      return createFacts(parse(z.array(stateEvent), events ?? [], "state"));
    })();
    try {
      return await creation;
    } catch (error) {
      creation = undefined;
      throw error;
    }
  };
  return {
    async read(userId: UserId) {
      const id = await roomId();
      const base = `/_matrix/client/v3/rooms/${encodeURIComponent(id)}/state`;
      const [created, powerLevels, member] = await Promise.all([
        creationFacts(id),
        get<unknown>(http, `${base}/m.room.power_levels/`, options.accessToken),
        get<unknown>(http, `${base}/m.room.member/${encodeURIComponent(userId)}`, options.accessToken),
      ]);
      return {
        ...created,
        powerLevels: powerLevels === null ? null : parse(powerLevelsContent, powerLevels, "power levels"),
        membership: member === null ? null : parse(memberContent, member, "membership").membership,
      };
    },
  };
}

/** Through the Synapse admin API (GET /_synapse/admin/v1/rooms/{roomId}/state), for a bot that logs in by password. */
export function createAdminRoomReader(
  options: ModeratorRoomReaderOptions & { adminToken: string },
): ModeratorRoomReader {
  const http = httpFor(options);
  const roomId = resolver(http, options.room, options.adminToken);
  return {
    async read(userId: UserId) {
      const id = await roomId();
      const body = await get<unknown>(
        http,
        `/_synapse/admin/v1/rooms/${encodeURIComponent(id)}/state`,
        options.adminToken,
      );
      if (body === null)
        throw new AppError("unavailable", `the homeserver does not know the moderators' room ${id}`);
      const events = parse(z.object({ state: z.array(stateEvent) }), body, "state").state;
      const powerLevels = events.find((e) => e.type === "m.room.power_levels" && e.state_key === "");
      const member = events.find((e) => e.type === "m.room.member" && e.state_key === userId);
      return {
        ...createFacts(events),
        powerLevels: powerLevels ? parse(powerLevelsContent, powerLevels.content, "power levels") : null,
        membership: member ? parse(memberContent, member.content, "membership").membership : null,
      };
    },
  };
}

/** The reader the configuration allows: the bot's token first, else the admin token; null (with why) when neither. */
export function moderatorRoomReaderFor(config: {
  homeserver: { url: string; adminToken?: string | undefined; requestTimeoutMs: number };
  bot: { accessToken?: string | undefined; moderatorRoom: string };
}): { reader: ModeratorRoomReader; missing?: undefined } | { reader: null; missing: string } {
  // The portal waits for this answer on every page: do not let it wait the full homeserver timeout.
  const common = {
    url: config.homeserver.url,
    room: config.bot.moderatorRoom,
    timeoutMs: Math.min(config.homeserver.requestTimeoutMs, 5_000),
  };
  if (config.bot.accessToken)
    return { reader: createClientRoomReader({ ...common, accessToken: config.bot.accessToken }) };
  if (config.homeserver.adminToken)
    return { reader: createAdminRoomReader({ ...common, adminToken: config.homeserver.adminToken }) };
  return {
    reader: null,
    missing:
      "neither bot.accessToken nor homeserver.adminToken is set, so moderator rights cannot be checked",
  };
}
