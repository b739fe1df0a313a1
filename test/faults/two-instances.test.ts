// Two `vestibule serve` processes on one PostgreSQL: 200 requests approved at once become 200 accounts and 200
// credential emails, each exactly once; killing the instance that runs the bot lets the other take over and count
// votes within 30 s.
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { createRegistrationStore } from "../../src/db/registration.store.ts";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import type { RegistrationStore } from "../../src/registration/ports.ts";
import { approve } from "../../src/registration/transitions.ts";
import { createModeratorRoom, react, type ModeratorRoom } from "../support/matrix-room.ts";
import { createScratchDatabase } from "../support/postgres.ts";
import { spawnService, type ServiceProcess } from "../support/process.ts";
import { pendingRequest, runsBot } from "../support/requests.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

const synapse = inject("synapse");
const COUNT = 200;
let sink: SmtpSink;
let scratch: { url: string; drop(): Promise<void> };
let database: DatabaseHandle;
let store: RegistrationStore;
let room: ModeratorRoom;
const instances: ServiceProcess[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  scratch = await createScratchDatabase(inject("postgresUrl"));
  database = await openDatabase({ url: scratch.url, dataDir: null });
  await migrateToLatest(database.db);
  store = createRegistrationStore(database.db);
  room = await createModeratorRoom(synapse);
  const env = {
    VESTIBULE_DATABASE_URL: scratch.url,
    VESTIBULE_HOMESERVER_URL: synapse.url,
    VESTIBULE_HOMESERVER_ADMIN_TOKEN: synapse.adminToken,
    VESTIBULE_MAIL_SMTP_HOST: "127.0.0.1",
    VESTIBULE_MAIL_SMTP_PORT: String(sink.port),
    VESTIBULE_MAIL_SMTP_STARTTLS: "false",
    VESTIBULE_BOT_USER_ID: room.bot.userId,
    VESTIBULE_BOT_ACCESS_TOKEN: room.bot.accessToken,
    VESTIBULE_BOT_MODERATOR_ROOM: room.roomId,
  };
  instances.push(await spawnService(env), await spawnService(env));
}, 120_000);
afterAll(async () => {
  for (const instance of instances) if (instance.child.exitCode === null) await instance.kill9();
  await database?.close();
  await scratch?.drop();
  await sink?.stop();
});

async function botHolder(): Promise<ServiceProcess | undefined> {
  for (const instance of instances)
    if (instance.child.exitCode === null && (await runsBot(instance.url))) return instance;
  return undefined;
}

it("200 approvals at once across two instances: 200 accounts and 200 credential emails, each once", async () => {
  const requests = await Promise.all(
    Array.from({ length: COUNT }, () => pendingRequest(database.db, store, "load")),
  );
  const results = await Promise.all(
    requests.map((r) => approve(store, { id: r.id, actor: { kind: "cli", name: "load" } }, new Date())),
  );
  expect(results.filter((r) => r.ok)).toHaveLength(COUNT);

  const deadline = Date.now() + 240_000;
  let provisioned = 0;
  while (Date.now() < deadline) {
    const rows = await database.db
      .selectFrom("registration_request")
      .select("state")
      .where("localpart", "like", "load-%")
      .execute();
    provisioned = rows.filter((r) => r.state === "provisioned").length;
    if (provisioned === COUNT) break;
    expect(rows.filter((r) => r.state === "failed")).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(provisioned).toBe(COUNT);

  const client = createSynapseClient({
    url: synapse.url,
    serverName: synapse.serverName,
    adminToken: synapse.adminToken,
  });
  for (const r of requests) {
    const user = await client.getUser(`@${r.localpart}:${synapse.serverName}`);
    expect(user?.externalIds, r.localpart).toHaveLength(1);
  }
  const ready = (m: { subject: string }) => /set your password/.test(m.subject);
  await sink.waitForCount(COUNT, { timeoutMs: 120_000, predicate: ready });
  await new Promise((r) => setTimeout(r, 3_000));
  const perAddress = new Map<string, number>();
  for (const m of sink.messages.filter(ready))
    for (const to of m.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
  expect(perAddress.size).toBe(COUNT);
  expect([...perAddress.values()].every((n) => n === 1)).toBe(true);
  // Every provisioning job completed, and exactly once.
  const owners = await database.db
    .selectFrom("outbox")
    .select("kind")
    .where("kind", "=", "provision")
    .where("completed_at", "is not", null)
    .execute();
  expect(owners).toHaveLength(COUNT);
}, 300_000);

it("when the instance running the bot is killed, the other takes over and counts votes within 30 s", async () => {
  const deadline = Date.now() + 30_000;
  let holder: ServiceProcess | undefined;
  while (Date.now() < deadline && !(holder = await botHolder())) await new Promise((r) => setTimeout(r, 200));
  expect(holder).toBeDefined();
  await holder!.kill9();
  const killedAt = Date.now();

  const request = await pendingRequest(database.db, store, "takeover");
  let eventId: string | null = null;
  while (Date.now() - killedAt < 30_000 && !eventId) {
    eventId = (await store.getRequest(request.id))?.roomEventId ?? null;
    if (!eventId) await new Promise((r) => setTimeout(r, 200));
  }
  expect(eventId, "the surviving instance posted the request").not.toBeNull();
  await react(synapse, room.moderator, room.roomId, eventId!, "✅");
  while (Date.now() - killedAt < 30_000 && (await store.getRequest(request.id))?.state === "pending")
    await new Promise((r) => setTimeout(r, 200));
  expect((await store.getRequest(request.id))?.state).not.toBe("pending");
  expect(Date.now() - killedAt).toBeLessThan(30_000);
}, 120_000);
