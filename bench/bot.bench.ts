// Issue 4 targets, against the local Synapse: time from a moderator's ✅ reaching Synapse to the request being
// approved, over 50 requests (p50 < 500 ms, p99 < 2 s); the bot process's memory with 1,000 requests in the
// room's history (RSS < 150 MB).
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { openDatabase } from "../src/db/database.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { createRegistrationStore } from "../src/db/registration.store.ts";
import { insertSecretToken } from "../src/db/secret-token.repository.ts";
import { submitRequest, verifyEmail } from "../src/registration/transitions.ts";
import type { EmailAddress, Localpart, RequestId } from "../src/registration/types.ts";
import { ensureMainSynapse } from "../test/support/homeserver.ts";
import { createModeratorRoom, react } from "../test/support/matrix-room.ts";
import type { BenchContext } from "./run.ts";
import { benchService, percentile, scratchPostgres } from "./support.ts";

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

export default async function bot(ctx: BenchContext): Promise<void> {
  const synapse = await ensureMainSynapse();
  const room = await createModeratorRoom(synapse);
  const db = await scratchPostgres();
  const handle = await openDatabase({ url: db.url, dataDir: null });
  await migrateToLatest(handle.db);
  const store = createRegistrationStore(handle.db);
  const settings = {
    adminEmail: undefined,
    approvalsRequired: 1,
    declinesRequired: 1,
    mode: "synapse" as const,
    credentials: "link" as const,
    invitesSkipReview: true,
  };
  const env = {
    VESTIBULE_DATABASE_URL: db.url,
    VESTIBULE_HOMESERVER_URL: synapse.url,
    VESTIBULE_HOMESERVER_ADMIN_TOKEN: synapse.adminToken,
    VESTIBULE_BOT_USER_ID: room.bot.userId,
    VESTIBULE_BOT_ACCESS_TOKEN: room.bot.accessToken,
    VESTIBULE_BOT_MODERATOR_ROOM: room.roomId,
  };

  async function pending(): Promise<RequestId> {
    const id = `bench-${randomBytes(4).toString("hex")}`;
    const submitted = await submitRequest(
      store,
      {
        localpart: id as Localpart,
        email: `${id}@example.org` as EmailAddress,
        emailIsExclusive: true,
        firstName: "Bench",
        lastName: "Bot",
        note: "",
        locale: "en",
        clientIp: null,
        passwordCiphertext: null,
        origin: "form",
        inviteToken: null,
      },
      new Date(),
    );
    if (!submitted.ok) throw new Error("submit failed");
    const hash = createHash("sha256").update(randomBytes(32)).digest();
    await insertSecretToken(handle.db, {
      hash,
      purpose: "verify_email",
      requestId: submitted.request.id,
      expiresAt: null,
      now: new Date(),
    });
    await verifyEmail(store, settings, hash, new Date());
    return submitted.request.id;
  }

  async function posted(id: RequestId, timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const eventId = (await store.getRequest(id))?.roomEventId;
      if (eventId) return eventId;
      if (Date.now() > deadline) throw new Error(`request ${id} was not posted`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  let service = await benchService(env);
  try {
    const ready = Date.now() + 30_000;
    while (Date.now() < ready) {
      const health = (await (await fetch(`${service.url}/healthz`)).json()) as {
        components: Record<string, { detail?: string }>;
      };
      if (health.components["bot"]?.detail?.startsWith("in ")) break;
      await new Promise((r) => setTimeout(r, 100));
    }

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
    ctx.print("reaction → approved, p50 (50 requests)", percentile(latencies, 50), "ms", "< 500");
    ctx.print("reaction → approved, p99 (50 requests)", percentile(latencies, 99), "ms", "< 2,000");

    // 1,000 requests in the room's history (each a post with two reactions).
    const started = Date.now();
    const ids: RequestId[] = [];
    for (let i = 0; i < 950; i++) ids.push(await pending());
    for (const id of ids) await posted(id, 600_000);
    ctx.note(
      `posted 950 more requests (1,000 in the room) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    ctx.print(
      "bot process RSS with 1,000 requests in the room",
      await rssMb(service.child.pid!),
      "MB",
      "< 150",
    );

    // A fresh start with all that history behind the stored sync position.
    await service.stop();
    service = await benchService(env);
    const again = Date.now() + 30_000;
    while (Date.now() < again) {
      const health = (await (await fetch(`${service.url}/healthz`)).json()) as {
        components: Record<string, { detail?: string }>;
      };
      if (health.components["bot"]?.detail?.startsWith("in ")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const latest = await pending();
    await posted(latest);
    ctx.print("bot process RSS after a restart (same room)", await rssMb(service.child.pid!), "MB", "< 150");
  } finally {
    await service.stop();
    await handle.close();
    await db.drop();
  }
}
