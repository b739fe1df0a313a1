// Reminds the moderators of requests that have waited too long, at most once per reminder period.
import type { Db } from "../db/database.ts";
import { getBotState, pendingSince, setBotState } from "../db/bot.repository.ts";
import { outboxRowFor } from "../db/registration.store.ts";

export interface ReminderDeps {
  db: Db;
  /** bot.reminderAfterHours */
  afterHours: number;
  serverName: string;
}

export async function remindPending(deps: ReminderDeps, now: Date): Promise<{ reminded: number }> {
  const period = deps.afterHours * 3_600_000;
  const waiting = await pendingSince(deps.db, new Date(now.getTime() - period));
  if (waiting.length === 0) return { reminded: 0 };
  const last = await getBotState<string>(deps.db, "last_reminder");
  if (last && now.getTime() - new Date(last).getTime() < period) return { reminded: 0 };
  const lines = waiting.map(
    (r) =>
      `• #${r.id} @${r.localpart}:${deps.serverName} — waiting since ${r.verifiedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`,
  );
  const text = [
    `Reminder: ${waiting.length} request${waiting.length === 1 ? " has" : "s have"} been waiting for more than ${deps.afterHours} h:`,
    ...lines,
  ].join("\n");
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("outbox")
      .values(outboxRowFor(null, { kind: "bot.notice", text }, now))
      .execute();
    await setBotState(trx, "last_reminder", now.toISOString(), now);
  });
  return { reminded: waiting.length };
}
