// Issue 4 targets, against the local Synapse: time from a moderator's ✅ reaching Synapse to the request being
// approved, over 50 requests (p50 < 500 ms, p99 < 2 s); the bot process's memory with 1,000 requests in the
// room's history (RSS < 150 MB). Run twice: a process with only the bot role (`serve --roles bot`, the bot
// process of a split deployment) and the default single process with every role.
import { readFile } from "node:fs/promises";
import { openDatabase } from "../src/db/database.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { createRegistrationStore } from "../src/db/registration.store.ts";
import type { RequestId } from "../src/registration/types.ts";
import { ensureMainSynapse } from "../test/support/homeserver.ts";
import { createModeratorRoom, react } from "../test/support/matrix-room.ts";
import type { ServiceProcess } from "../test/support/process.ts";
import { pendingRequest } from "../test/support/requests.ts";
import type { BenchContext } from "./run.ts";
import { benchService, percentile, scratchPostgres } from "./support.ts";

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

export default async function bot(ctx: BenchContext): Promise<void> {
  await measure(ctx, "bot only", "bot");
  await measure(ctx, "all roles", undefined);
}

async function measure(ctx: BenchContext, label: string, roles: string | undefined): Promise<void> {
  ctx.note(`-- ${label} (${roles ? `serve --roles ${roles}` : "serve"})`);
  const synapse = await ensureMainSynapse();
  const room = await createModeratorRoom(synapse);
  const db = await scratchPostgres();
  const handle = await openDatabase({ url: db.url, dataDir: null });
  await migrateToLatest(handle.db);
  const store = createRegistrationStore(handle.db);
  const env = {
    VESTIBULE_DATABASE_URL: db.url,
    VESTIBULE_HOMESERVER_URL: synapse.url,
    VESTIBULE_HOMESERVER_ADMIN_TOKEN: synapse.adminToken,
    VESTIBULE_BOT_USER_ID: room.bot.userId,
    VESTIBULE_BOT_ACCESS_TOKEN: room.bot.accessToken,
    VESTIBULE_BOT_MODERATOR_ROOM: room.roomId,
    // The bot announces at info level when it sits in its room ("bot: ok"): the readiness signal below.
    VESTIBULE_LOG_LEVEL: "info",
  };
  // Ready when the bot is in its room (not merely started, and not standing by).
  const inRoom = (output: string) => /"msg":"bot: ok \(in /.test(output) || /"detail":"in !/.test(output);
  const spawn = () => benchService(env, roles, inRoom);

  const pending = async (): Promise<RequestId> => (await pendingRequest(handle.db, store, "bench")).id;
  async function posted(id: RequestId, timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const eventId = (await store.getRequest(id))?.roomEventId;
      if (eventId) return eventId;
      if (Date.now() > deadline) throw new Error(`request ${id} was not posted`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  let service: ServiceProcess = await spawn();
  try {
    const latencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      const id = await pending();
      const eventId = await posted(id);
      await react(synapse, room.moderator, room.roomId, eventId, "✅");
      const reached = performance.now();
      for (;;) {
        const state = (await store.getRequest(id))?.state;
        if (state && state !== "pending") break;
        if (performance.now() - reached > 10_000) throw new Error(`request ${id} was not decided`);
        await new Promise((r) => setTimeout(r, 5));
      }
      latencies.push(performance.now() - reached);
    }
    ctx.print(`${label}: reaction → approved, p50 (50)`, percentile(latencies, 50), "ms", "< 500");
    ctx.print(`${label}: reaction → approved, p99 (50)`, percentile(latencies, 99), "ms", "< 2,000");
    ctx.print(`${label}: RSS after the 50 decisions`, await rssMb(service.child.pid!), "MB");

    // 1,000 requests in the room's history (each a post with two reactions).
    const started = Date.now();
    const ids: RequestId[] = [];
    for (let i = 0; i < 950; i++) ids.push(await pending());
    for (const id of ids) await posted(id, 600_000);
    ctx.note(
      `posted 950 more requests (1,000 in the room) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    ctx.print(
      `${label}: RSS with 1,000 requests in the room`,
      await rssMb(service.child.pid!),
      "MB",
      "< 150",
    );

    // A fresh start with all that history behind the stored sync position.
    await service.stop();
    service = await spawn();
    await posted(await pending());
    ctx.print(`${label}: RSS after a restart (same room)`, await rssMb(service.child.pid!), "MB", "< 150");
  } finally {
    await service.stop();
    await handle.close();
    await db.drop();
  }
}
