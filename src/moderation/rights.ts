// Whether someone is a moderator right now: joined to the moderators' room with at least bot.moderatorPowerLevel.
// The portal asks before every page and every action (issue 17: a session must not outlive the rights it was
// opened with). The answer comes from the homeserver, cached briefly; the bot calls invalidate() when it sees the
// room's power levels or memberships change, so a demotion or kick takes effect at once in a process that runs the
// bot, and within the cache period elsewhere. When the homeserver cannot be asked, the answer is "unknown" and the
// portal refuses to act (fail closed).
import type { UserId } from "../registration/types.ts";

/** The facts about the moderators' room that decide one user's rights, as read from the homeserver. */
export interface ModeratorRoomFacts {
  roomVersion: string;
  /** Sender of m.room.create. */
  creator: string;
  /** m.room.create content.additional_creators (room v12). */
  additionalCreators: readonly string[];
  /** m.room.power_levels content; null when the room has none. */
  powerLevels: { users?: Record<string, unknown> | undefined; users_default?: unknown } | null;
  /** The user's membership ("join", "invite", "leave", "ban", "knock"), or null when never a member. */
  membership: string | null;
}

/** Reads the moderators' room. Throws (AppError "unavailable"/"forbidden"…) when the homeserver cannot answer. */
export interface ModeratorRoomReader {
  read(userId: UserId): Promise<ModeratorRoomFacts>;
}

export type RightsResult =
  | { ok: true; moderator: boolean; powerLevel: number; membership: string | null }
  /** The rights could not be checked; `detail` says why (for the log and the operator). */
  | { ok: false; reason: "unavailable"; detail: string };

export interface ModeratorRights {
  check(userId: UserId): Promise<RightsResult>;
  /** Forgets every cached answer (the room's power levels or memberships changed). */
  invalidate(): void;
}

/** Room versions whose creators have infinite power and are not listed in the power levels (MSC4289). */
function creatorsArePrivileged(roomVersion: string): boolean {
  return Number(roomVersion) >= 12 || roomVersion === "org.matrix.hydra.11";
}

function level(value: unknown): number | undefined {
  // Old room versions allowed power levels as strings ("50").
  const number = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  return typeof number === "number" && Number.isSafeInteger(number) ? number : undefined;
}

/** A user's power level in the room, by the spec's rules (creators in v12, the creator without power levels). */
export function powerLevelOf(facts: ModeratorRoomFacts, userId: string): number {
  if (creatorsArePrivileged(facts.roomVersion)) {
    if (userId === facts.creator || facts.additionalCreators.includes(userId)) return Infinity;
  }
  if (!facts.powerLevels) return userId === facts.creator ? 100 : 0;
  const users = facts.powerLevels.users ?? {};
  const own = Object.hasOwn(users, userId) ? level(users[userId]) : undefined;
  return own ?? level(facts.powerLevels.users_default) ?? 0;
}

export interface ModeratorRightsOptions {
  /** Null when nothing can read the room (no bot access token and no admin token): every check is "unknown". */
  reader: ModeratorRoomReader | null;
  /** Why `reader` is null, said on every refusal. */
  missingReader?: string;
  moderatorPowerLevel: number;
  cacheMs: number;
  clock: () => Date;
}

export function createModeratorRights(options: ModeratorRightsOptions): ModeratorRights {
  const cache = new Map<string, { at: number; result: RightsResult & { ok: true } }>();
  // Bumped by invalidate(): a read that started before an invalidation must not fill the cache with old facts.
  let generation = 0;
  const inFlight = new Map<string, { generation: number; promise: Promise<RightsResult> }>();

  async function read(userId: UserId, started: number): Promise<RightsResult> {
    if (!options.reader)
      return { ok: false, reason: "unavailable", detail: options.missingReader ?? "no way to read the room" };
    let facts: ModeratorRoomFacts;
    try {
      facts = await options.reader.read(userId);
    } catch (error) {
      // Failures are not cached: the next page asks again.
      return {
        ok: false,
        reason: "unavailable",
        detail: error instanceof Error ? error.message : String(error),
      };
    }
    const powerLevel = powerLevelOf(facts, userId);
    const result = {
      ok: true as const,
      moderator: facts.membership === "join" && powerLevel >= options.moderatorPowerLevel,
      powerLevel,
      membership: facts.membership,
    };
    if (started === generation) cache.set(userId, { at: options.clock().getTime(), result });
    return result;
  }

  return {
    check(userId) {
      const cached = cache.get(userId);
      if (cached && options.clock().getTime() - cached.at < options.cacheMs)
        return Promise.resolve(cached.result);
      const running = inFlight.get(userId);
      if (running && running.generation === generation) return running.promise;
      const started = generation;
      const promise = read(userId, started).finally(() => {
        if (inFlight.get(userId)?.promise === promise) inFlight.delete(userId);
      });
      inFlight.set(userId, { generation: started, promise });
      return promise;
    },
    invalidate() {
      generation++;
      cache.clear();
    },
  };
}
