// Local mode end to end: a real Synapse configured with internal/synapse/vestibule_auth.py asks Vestibule to check
// passwords. An approved applicant sets a password through the emailed link and logs in on Synapse; the user is
// created with Vestibule's display name and email; wrong passwords and disabled accounts are refused; a password
// changed through the intercept works at the next login.
import { writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { setLocalAccountDisabled } from "../../src/db/local-account.repository.ts";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import { applyAndVerify, approveRequest, mailTo, waitForState } from "../support/flows.ts";
import { matrixRequest, startSynapse, type SynapseHandle } from "../support/homeserver.ts";
import { freePort, startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { findLink, WebClient } from "../support/web-client.ts";

const SECRET = "module-test-internal-secret-42";
let synapse: SynapseHandle;
let service: TestService;
let sink: SmtpSink;

beforeAll(async () => {
  const internalPort = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "vestibule-module-"));
  const extra = join(dir, "module.yaml");
  await writeFile(
    extra,
    [
      "modules:",
      "  - module: vestibule_auth.VestibulePasswordProvider",
      "    config:",
      `      endpoint: "http://127.0.0.1:${internalPort}"`,
      `      secret: "${SECRET}"`,
      "",
    ].join("\n"),
  );
  synapse = await startSynapse({
    name: "local-mode",
    port: 18038,
    extraConfigFile: extra,
    modulesDir: resolve(import.meta.dirname, "../../internal/synapse"),
  });
  sink = await startSmtpSink();
  service = await startTestService({
    config: {
      homeserver: {
        url: synapse.url,
        serverName: synapse.serverName,
        mode: "local",
        adminToken: synapse.adminToken,
      },
      internal: { listen: `127.0.0.1:${internalPort}`, secret: SECRET },
      accounts: { pwhash: { opsLimit: 1, memLimit: 65536 } },
      mail: { smtp: sink.smtpConfig() },
    },
  });
}, 180_000);
afterAll(async () => {
  await service?.stop();
  await sink?.stop();
});

async function login(user: string, password: string) {
  return matrixRequest(synapse, "POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password },
  });
}

it("an approved applicant sets a password through the link and logs in on Synapse, which creates the user from Vestibule's data", async () => {
  const { request, applicant } = await applyAndVerify(service, sink);
  await approveRequest(service, request.id);
  await waitForState(service, request.id, "provisioned");
  const account = await service.deps.database.db
    .selectFrom("local_account")
    .selectAll()
    .where("localpart", "=", applicant.username)
    .executeTakeFirstOrThrow();
  expect(account).toMatchObject({
    email: applicant.email,
    display_name: "Ada Lovelace",
    password_hash: null,
  });

  const mail = await mailTo(sink, applicant.email, /set your password/);
  const link = findLink(mail.text, `${service.url}/password/`);
  const web = new WebClient(service.url);
  await web.get(link);
  const set = await web.postForm(link, {
    password: "Local-Mode-Pass-1",
    password_confirm: "Local-Mode-Pass-1",
  });
  expect(set.body).toContain("Your password is set");
  const stored = await service.deps.database.db
    .selectFrom("local_account")
    .select("password_hash")
    .where("localpart", "=", applicant.username)
    .executeTakeFirstOrThrow();
  expect(stored.password_hash).toMatch(/^\$argon2id\$/);

  const ok = await login(applicant.username, "Local-Mode-Pass-1");
  expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  const userId = `@${applicant.username}:${synapse.serverName}`;
  expect(ok.body["user_id"]).toBe(userId);
  const user = await createSynapseClient({
    url: synapse.url,
    serverName: synapse.serverName,
    adminToken: synapse.adminToken,
  }).getUser(userId);
  expect(user).toMatchObject({
    displayname: "Ada Lovelace",
    threepids: [{ medium: "email", address: applicant.email }],
  });

  expect((await login(applicant.username, "wrong-password")).status).toBe(403);

  // Password change through the intercept (what a reverse proxy routes here), then log in with the new one.
  const token = String(ok.body["access_token"]);
  const intercept = `${service.internalUrl}/_matrix/client/v3/account/password`;
  const first = await fetch(intercept, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ new_password: "Changed-Pass-2" }),
  });
  expect(first.status).toBe(401);
  const { session } = (await first.json()) as { session: string };
  const second = await fetch(intercept, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      new_password: "Changed-Pass-2",
      logout_devices: false,
      auth: {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: applicant.username },
        password: "Local-Mode-Pass-1",
        session,
      },
    }),
  });
  expect(second.status).toBe(200);
  expect((await login(applicant.username, "Local-Mode-Pass-1")).status).toBe(403);
  expect((await login(applicant.username, "Changed-Pass-2")).status).toBe(200);

  // A disabled account cannot log in any more.
  await setLocalAccountDisabled(service.deps.database.db, applicant.username, true, new Date());
  expect((await login(applicant.username, "Changed-Pass-2")).status).toBe(403);
});
