// Reminds the moderators of requests that have waited too long, at most once per reminder period. The notice is
// structured (request ids and names); the bot words it in the room's language.
import type { Db } from "../db/database.ts";
import { getBotState, pendingSince, setBotState } from "../db/bot.repository.ts";
import { outboxRowFor } from "../db/registration.store.ts";
import type { BotNotice } from "../registration/side-effects.ts";
import { parseRequestId } from "../registration/types.ts";

export interface ReminderDeps {
  db: Db;
  /** bot.reminderAfterHours */
  afterHours: number;
}

export async function remindPending(deps: ReminderDeps, now: Date): Promise<{ reminded: number }> {
  const period = deps.afterHours * 3_600_000;
  const waiting = await pendingSince(deps.db, new Date(now.getTime() - period));
  if (waiting.length === 0) return { reminded: 0 };
  const last = await getBotState<string>(deps.db, "last_reminder");
  if (last && now.getTime() - new Date(last).getTime() < period) return { reminded: 0 };
  const requests: Extract<BotNotice, { type: "reminder" }>["requests"] = [];
  for (const row of waiting) {
    const id = parseRequestId(row.id);
    if (id) requests.push({ id, localpart: row.localpart, waitingSince: row.verifiedAt.toISOString() });
  }
  const notice: BotNotice = { type: "reminder", afterHours: deps.afterHours, requests };
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("outbox")
      .values(outboxRowFor(null, { kind: "bot.notice", notice }, now))
      .execute();
    await setBotState(trx, "last_reminder", now.toISOString(), now);
  });
  return { reminded: requests.length };
}
