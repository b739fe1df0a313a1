// What the bot knows about the moderators' room: who counts as a moderator (power levels, room v12 creators,
// membership) and whether the room is encrypted. Loaded from the room's state once, then kept current from the
// state events the sync brings (timeline, state section and backfill alike).
import type { RoomId, UserId } from "../registration/types.ts";
import { parseEvent, type BotEvent, type PowerLevels } from "./events.ts";

export interface RoomFacts {
  readonly roomId: RoomId;
  readonly encrypted: boolean;
  powerOf(userId: UserId): number;
  /**
   * Whether a sender's vote or command counts: by power level alone, because the server only accepts events from
   * members, and a user who left since has no power over what they said while they were a moderator.
   */
  mayModerate(userId: UserId): boolean;
  /** A moderator right now: joined and at or above the level ("is X a current moderator?"). */
  isCurrentModerator(userId: UserId): boolean;
  /**
   * Takes a state event into account. "moderators" when power levels or membership changed (rights caches must
   * be invalidated), "encrypted" when the room just became encrypted.
   */
  apply(event: BotEvent): "moderators" | "encrypted" | undefined;
}

/** Room v12 (and its draft hydra.11) gives the creators unlimited power; they are not listed in power levels. */
function creatorsHavePower(version: string): boolean {
  return version === "org.matrix.hydra.11" || Number(version) >= 12;
}

export function createRoomFacts(roomId: RoomId, moderatorPowerLevel: number): RoomFacts {
  let levels: PowerLevels = { users: new Map(), usersDefault: 0 };
  let creators = new Set<UserId>();
  const joined = new Set<UserId>();
  let encrypted = false;

  const powerOf = (userId: UserId) =>
    creators.has(userId) ? Infinity : (levels.users.get(userId) ?? levels.usersDefault);

  return {
    roomId,
    get encrypted() {
      return encrypted;
    },
    powerOf,
    mayModerate: (userId) => powerOf(userId) >= moderatorPowerLevel,
    isCurrentModerator: (userId) => joined.has(userId) && powerOf(userId) >= moderatorPowerLevel,
    apply(event) {
      switch (event.type) {
        case "power_levels":
          levels = event.levels;
          return "moderators";
        case "member":
          if (event.membership === "join") joined.add(event.userId);
          else joined.delete(event.userId);
          return "moderators";
        case "create":
          creators = creatorsHavePower(event.roomVersion)
            ? new Set([event.sender, ...event.additionalCreators])
            : new Set();
          return "moderators";
        case "encryption":
          if (encrypted) return undefined;
          encrypted = true;
          return "encrypted";
        default:
          return undefined;
      }
    },
  };
}

/** The facts from the room's full current state (GET /rooms/{id}/state): one call for all of them. */
export function roomFactsFromState(
  roomId: RoomId,
  moderatorPowerLevel: number,
  state: readonly unknown[],
): RoomFacts {
  const facts = createRoomFacts(roomId, moderatorPowerLevel);
  for (const raw of state) {
    const parsed = parseEvent(raw);
    if (parsed.ok) facts.apply(parsed.event);
  }
  return facts;
}
