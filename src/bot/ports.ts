// What the bot needs from storage for its own bookkeeping (src/db implements it): small named values (sync
// position, device, direct rooms, pending confirmations) and the events it has handled.
import type { EventId } from "../registration/types.ts";

export interface BotStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, now: Date): Promise<void>;
  /** Whether the event was recorded as handled (by a transition or by `claim`). */
  isHandled(eventId: EventId): Promise<boolean>;
  /** Records the event as handled; false when it already was. */
  claim(eventId: EventId, now: Date): Promise<boolean>;
}

/** The bot's named values, in one place so no key is spelt two ways. */
export const botKeys = {
  syncToken: "sync_token",
  deviceId: "device_id",
  roomId: "room_id",
  directRoom: (userId: string) => `dm:${userId}`,
  confirmDeleteAll: (userId: string) => `confirm-delete-all:${userId}`,
  inviteTokenKey: "invite_token_key",
  /** When this sender, not a moderator, was last told no (refusal notices are rate-limited per sender). */
  lastRefusal: (userId: string) => `refused:${userId}`,
} as const;
