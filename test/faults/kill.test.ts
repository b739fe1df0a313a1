// kill -9 in the middle of provisioning (the homeserver made the account, the answer never arrived) and in the
// middle of an email send (the data reached the server, its final 250 did not come back), then restart: nothing
// lost, nothing doubled — checked on Synapse's users and on the SMTP sink's messages.
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { createRegistrationStore } from "../../src/db/registration.store.ts";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import { approve } from "../../src/registration/transitions.ts";
import type { RegistrationStore } from "../../src/registration/ports.ts";
import type { RequestId } from "../../src/registration/types.ts";
import { newApplicant } from "../support/flows.ts";
import { createScratchDatabase } from "../support/postgres.ts";
import { spawnService, type ServiceProcess } from "../support/process.ts";
import { startSlowProxy, type SlowProxy } from "../support/slow-proxy.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { findLink, WebClient } from "../support/web-client.ts";

const synapse = inject("synapse");
let sink: SmtpSink;
let proxy: SlowProxy;
let scratch: { url: string; drop(): Promise<void> };
let database: DatabaseHandle;
let store: RegistrationStore;
let env: Record<string, string>;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  proxy = await startSlowProxy(synapse.url);
  scratch = await createScratchDatabase(inject("postgresUrl"));
  database = await openDatabase({ url: scratch.url, dataDir: null });
  await migrateToLatest(database.db);
  store = createRegistrationStore(database.db);
  env = {
    VESTIBULE_DATABASE_URL: scratch.url,
    VESTIBULE_HOMESERVER_URL: proxy.url,
    VESTIBULE_HOMESERVER_ADMIN_TOKEN: synapse.adminToken,
    VESTIBULE_MAIL_SMTP_HOST: "127.0.0.1",
    VESTIBULE_MAIL_SMTP_PORT: String(sink.port),
    VESTIBULE_MAIL_SMTP_STARTTLS: "false",
    VESTIBULE_BOT_ENABLED: "false",
  };
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) await p.kill9();
  await database?.close();
  await scratch?.drop();
  await proxy?.close();
  await sink?.stop();
});

async function start(): Promise<ServiceProcess> {
  const service = await spawnService(env);
  running.push(service);
  return service;
}

async function apply(service: ServiceProcess) {
  const applicant = newApplicant();
  const web = new WebClient(service.url);
  await web.get("/");
  expect((await web.postForm("/register", { ...applicant })).status).toBe(303);
  const mail = await sink.waitFor((m) => m.to.includes(applicant.email), { timeoutMs: 20_000 });
  const verify = findLink(mail.text, `${service.url}/verify/`);
  await web.get(verify);
  expect((await web.postForm(verify, {})).status).toBe(303);
  const request = (await store.listRequests({ search: applicant.username }))[0]!;
  return { applicant, id: request.id };
}

async function waitForState(id: RequestId, state: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await store.getRequest(id))?.state === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`request ${id} did not reach ${state}`);
}

it("kill -9 while the homeserver is creating the account: after a restart it is provisioned once", async () => {
  const first = await start();
  const { applicant, id } = await apply(first);
  const { held } = proxy.hold(
    (method, path) => method === "PUT" && path.startsWith("/_synapse/admin/v2/users/"),
    60_000,
  );
  expect((await approve(store, { id, actor: { kind: "cli", name: "test" } }, new Date())).ok).toBe(true);
  await held;
  await first.kill9();
  proxy.release();

  const client = createSynapseClient({
    url: synapse.url,
    serverName: synapse.serverName,
    adminToken: synapse.adminToken,
  });
  const userId = `@${applicant.username}:${synapse.serverName}`;
  // The account exists already: the crash came after the homeserver made it.
  expect(await client.getUser(userId)).not.toBeNull();
  expect((await store.getRequest(id))?.state).toBe("approved");

  const second = await start();
  await waitForState(id, "provisioned");
  const user = await client.getUser(userId);
  expect(user?.externalIds).toHaveLength(1);
  await sink.waitFor((m) => m.to.includes(applicant.email) && /ready/.test(m.subject), { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 1500));
  expect(sink.messages.filter((m) => m.to.includes(applicant.email) && /ready/.test(m.subject))).toHaveLength(
    1,
  );
  await second.stop();
}, 180_000);

it("kill -9 during an email send: after a restart the email arrives exactly once", async () => {
  const service = await start();
  const applicant = newApplicant();
  const web = new WebClient(service.url);
  await web.get("/");
  sink.setBehaviour({ delayDataMs: 4_000 });
  const arrived = sink.dataArrived();
  expect((await web.postForm("/register", { ...applicant })).status).toBe(303);
  await arrived;
  await service.kill9();
  sink.setBehaviour({});
  // Nothing was delivered: the sender died before the server's final answer.
  await new Promise((r) => setTimeout(r, 4_500));
  expect(sink.messages.filter((m) => m.to.includes(applicant.email))).toHaveLength(0);

  const restarted = await start();
  await sink.waitFor((m) => m.to.includes(applicant.email), { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 1500));
  expect(sink.messages.filter((m) => m.to.includes(applicant.email))).toHaveLength(1);
  await restarted.stop();
}, 180_000);
