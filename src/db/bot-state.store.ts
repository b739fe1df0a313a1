// The bot's bookkeeping (src/bot/ports.ts BotStore) on the bot_state and bot_handled_event tables.
import type { BotStore } from "../bot/ports.ts";
import { claimHandledEvent, getBotState, setBotState } from "./bot.repository.ts";
import type { Db } from "./database.ts";

export function createBotStore(db: Db): BotStore {
  return {
    async get(key) {
      const value = await getBotState<unknown>(db, key);
      return typeof value === "string" ? value : undefined;
    },
    set: (key, value, now) => setBotState(db, key, value, now),
    async isHandled(eventId) {
      const row = await db
        .selectFrom("bot_handled_event")
        .select("event_id")
        .where("event_id", "=", eventId)
        .executeTakeFirst();
      return row !== undefined;
    },
    claim: (eventId, now) => claimHandledEvent(db, eventId, now),
  };
}
