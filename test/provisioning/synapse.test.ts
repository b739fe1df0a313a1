// Account creation on approval against the real Synapse: every credential mode ends in a working login, no
// secret is left behind, and failures are clear.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import { databaseKinds } from "../support/database.ts";
import { launchBrowser, type TestBrowser } from "../support/browser.ts";
import {
  applyAndVerify,
  approveRequest,
  dumpDatabase,
  mailTo,
  newApplicant,
  waitForState,
} from "../support/flows.ts";
import { matrixRequest, registerUser } from "../support/homeserver.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { findLink, WebClient } from "../support/web-client.ts";

const synapse = inject("synapse");
const client = createSynapseClient({
  url: synapse.url,
  serverName: synapse.serverName,
  adminToken: synapse.adminToken,
});
const key = Buffer.alloc(32, 9).toString("base64");

let sink: SmtpSink;
let browser: TestBrowser;
let roomId: string;
let roomAlias: string;

beforeAll(async () => {
  sink = await startSmtpSink();
  browser = await launchBrowser();
  const owner = await registerUser(synapse);
  roomAlias = `welcome-${Date.now().toString(36)}`;
  const room = await matrixRequest(synapse, "POST", "/_matrix/client/v3/createRoom", {
    accessToken: owner.accessToken,
    body: { preset: "public_chat", room_alias_name: roomAlias },
  });
  roomId = String(room.body["room_id"]);
});
afterAll(async () => {
  await browser?.close();
  await sink?.stop();
});

function baseConfig(extra: Record<string, unknown> = {}) {
  return {
    homeserver: {
      url: synapse.url,
      serverName: synapse.serverName,
      adminToken: synapse.adminToken,
      registrationSharedSecret: synapse.sharedSecret,
      autoJoinRooms: [`#${roomAlias}:${synapse.serverName}`],
      ...((extra["homeserver"] as object | undefined) ?? {}),
    },
    mail: { smtp: sink.smtpConfig() },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "homeserver")),
  };
}

async function login(localpart: string, password: string) {
  return matrixRequest(synapse, "POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password },
  });
}

async function joinedMembers() {
  const members = await matrixRequest(
    synapse,
    "GET",
    `/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}/members`,
    { accessToken: synapse.adminToken },
  );
  return members.body["members"] as string[];
}

for (const kind of databaseKinds) {
  describe(`link credentials [${kind}]`, () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService({ database: kind, config: baseConfig() });
    });
    afterAll(async () => {
      await service?.stop();
    });

    it("creates the account with display name, email and rooms; the emailed link sets a password that logs in, once", async () => {
      const { request, applicant } = await applyAndVerify(
        service,
        sink,
        newApplicant({ first_name: "Grace", last_name: "Hopper" }),
      );
      await approveRequest(service, request.id);
      const provisioned = await waitForState(service, request.id, "provisioned");
      const userId = `@${applicant.username}:${synapse.serverName}`;
      expect(provisioned.userId).toBe(userId);
      const user = await client.getUser(userId);
      expect(user).toMatchObject({
        displayname: "Grace Hopper",
        threepids: [{ medium: "email", address: applicant.email }],
      });
      expect(await joinedMembers()).toContain(userId);

      const mail = await mailTo(sink, applicant.email, /set your password/);
      const link = findLink(mail.text, `${service.url}/password/`);
      const context = await browser.context();
      const page = await context.newPage();
      await page.goto(link);
      expect(await page.textContent("h1")).toBe("Set your password");
      await page.fill("#f-password", "Correct-Horse-42");
      await page.fill("#f-password_confirm", "Correct-Horse-42");
      await page.click("button[type=submit]");
      await page.waitForSelector("text=Your password is set");
      await context.close();

      const loggedIn = await login(applicant.username, "Correct-Horse-42");
      expect(loggedIn.status).toBe(200);
      expect(loggedIn.body["user_id"]).toBe(userId);

      const again = await new WebClient(service.url).get(link);
      expect(again.status).toBe(410);
      expect(again.body).toContain("This link was already used");
    });
  });
}

describe("one-time password credentials", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      config: baseConfig({ registration: { credentials: "password" }, secrets: { key } }),
    });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("emails a one-time password that logs in, and keeps no trace of it", async () => {
    const { request, applicant } = await applyAndVerify(service, sink);
    await approveRequest(service, request.id);
    await waitForState(service, request.id, "provisioned");
    const mail = await mailTo(sink, applicant.email, /Your account is ready/);
    const otp = /One-time password: (\S+)/.exec(mail.text)?.[1];
    expect(otp).toMatch(/^[A-Za-z0-9]{20}$/);
    expect((await login(applicant.username, otp!)).status).toBe(200);
    // The sealed copy in the outbox is wiped once the email went out.
    const rows = await service.deps.database.db
      .selectFrom("outbox")
      .select(["secret", "completed_at"])
      .where("request_id", "=", request.id)
      .execute();
    expect(rows.every((r) => r.secret === null)).toBe(true);
    expect(await dumpDatabase(service)).not.toContain(otp!);
  });
});

describe("password collected on the form", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      config: baseConfig({ registration: { collectPassword: true }, secrets: { key } }),
    });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("creates the account with the applicant's password and wipes the ciphertext", async () => {
    const password = "Typed-On-The-Form-77";
    const { request, applicant } = await applyAndVerify(
      service,
      sink,
      newApplicant({ password, password_confirm: password }),
    );
    const held = await service.deps.database.db
      .selectFrom("registration_request")
      .select("password_ciphertext")
      .where("id", "=", request.id)
      .executeTakeFirstOrThrow();
    expect(held.password_ciphertext).not.toBeNull();
    expect(Buffer.from(held.password_ciphertext!).toString("latin1")).not.toContain(password);
    await approveRequest(service, request.id);
    await waitForState(service, request.id, "provisioned");
    expect((await login(applicant.username, password)).status).toBe(200);
    await mailTo(sink, applicant.email, /Your account is ready/);
    const dump = await dumpDatabase(service);
    expect(dump).not.toContain(password);
    const after = await service.deps.database.db
      .selectFrom("registration_request")
      .select("password_ciphertext")
      .where("id", "=", request.id)
      .executeTakeFirstOrThrow();
    expect(after.password_ciphertext).toBeNull();
  });
});

describe("token mode", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ config: baseConfig({ homeserver: { mode: "token" } }) });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("emails a link to our page, which registers the approved name with a single-use token", async () => {
    const { request, applicant } = await applyAndVerify(service, sink);
    await approveRequest(service, request.id);
    const mail = await mailTo(sink, applicant.email, /finish your registration/);
    expect((await service.deps.store.getRequest(request.id))?.state).toBe("approved");
    const link = findLink(mail.text, `${service.url}/register/`);
    const token = await service.deps.database.db
      .selectFrom("homeserver_token")
      .selectAll()
      .where("request_id", "=", request.id)
      .executeTakeFirstOrThrow();
    expect(await client.getRegistrationToken(token.token)).toMatchObject({ usesAllowed: 1, completed: 0 });

    const context = await browser.context();
    const page = await context.newPage();
    await page.goto(link);
    expect(await page.textContent("main")).toContain(`@${applicant.username}:${synapse.serverName}`);
    expect(await page.locator("input[name=username]").getAttribute("type")).toBe("hidden");
    await page.fill("#f-password", "Token-Mode-Pass-9");
    await page.fill("#f-password_confirm", "Token-Mode-Pass-9");
    await page.click("button[type=submit]");
    await page.waitForSelector("text=Your account is ready");
    await context.close();

    const provisioned = await waitForState(service, request.id, "provisioned");
    expect(provisioned.userId).toBe(`@${applicant.username}:${synapse.serverName}`);
    expect((await login(applicant.username, "Token-Mode-Pass-9")).status).toBe(200);
    expect(await client.getRegistrationToken(token.token)).toMatchObject({ completed: 1 });
    expect(await client.getUser(provisioned.userId!)).toMatchObject({
      displayname: "Ada Lovelace",
      threepids: [{ address: applicant.email }],
    });
    expect((await new WebClient(service.url).get(link)).status).toBe(410);
  });

  it("deletes the registration token of a request declined after the link went out", async () => {
    const { request, applicant } = await applyAndVerify(service, sink);
    await approveRequest(service, request.id);
    await mailTo(sink, applicant.email, /finish your registration/);
    const token = await service.deps.database.db
      .selectFrom("homeserver_token")
      .selectAll()
      .where("request_id", "=", request.id)
      .executeTakeFirstOrThrow();
    await service.deps.database.db
      .updateTable("registration_request")
      .set({ state: "failed" })
      .where("id", "=", request.id)
      .execute();
    const { decline } = await import("../../src/registration/transitions.ts");
    expect(
      (
        await decline(
          service.deps.store,
          { id: request.id, actor: { kind: "cli", name: "test" }, reason: "changed our mind" },
          new Date(),
        )
      ).ok,
    ).toBe(true);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await client.getRegistrationToken(token.token)))
      await new Promise((r) => setTimeout(r, 100));
    expect(await client.getRegistrationToken(token.token)).toBeNull();
  });
});

describe("failures", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ config: baseConfig() });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("a name registered directly on Synapse before approval fails the request with a clear message for the room", async () => {
    const { request, applicant } = await applyAndVerify(service, sink);
    await registerUser(synapse, { localpart: applicant.username });
    await approveRequest(service, request.id);
    const failed = await waitForState(service, request.id, "failed");
    expect(failed.failureReason).toContain("already exists on the homeserver (not created by Vestibule)");
    const notice = await service.deps.database.db
      .selectFrom("outbox")
      .select("payload")
      .where("request_id", "=", request.id)
      .where("kind", "=", "bot.notice")
      .executeTakeFirstOrThrow();
    expect(notice.payload).toMatchObject({ notice: { type: "provisioning_failed", requestId: request.id } });
    // The applicant was not told "approved".
    expect(sink.messages.some((m) => m.to.includes(applicant.email) && /ready/.test(m.subject))).toBe(false);
  });

  it("running the job twice at once creates one account and never touches a foreign one", async () => {
    const { createProvisionHandler } = await import("../../src/homeserver/provision.ts");
    const { request, applicant } = await applyAndVerify(service, sink);
    const { approve } = await import("../../src/registration/transitions.ts");
    // Approve without letting the service's own worker see it: run the handler ourselves, twice, concurrently.
    await service.outbox!.stop();
    expect(
      (
        await approve(
          service.deps.store,
          { id: request.id, actor: { kind: "cli", name: "test" } },
          new Date(),
        )
      ).ok,
    ).toBe(true);
    const handler = createProvisionHandler({ ...service.deps, logger: service.deps.logger });
    const row = {
      id: 0,
      kind: "provision" as const,
      requestId: request.id,
      effect: { kind: "provision" as const },
      secret: null,
      attempts: 0,
      createdAt: new Date(),
    };
    const outcomes = await Promise.all([handler(row, new Date()), handler(row, new Date())]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["done", "retry"]);
    expect((await service.deps.store.getRequest(request.id))?.state).toBe("provisioned");
    const user = await client.getUser(`@${applicant.username}:${synapse.serverName}`);
    expect(user?.externalIds).toHaveLength(1);
    // Again, after the fact: nothing changes.
    expect(await handler(row, new Date())).toEqual({ status: "done" });
  });
});

describe("shared secret only (no admin token)", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      config: {
        homeserver: {
          url: synapse.url,
          serverName: synapse.serverName,
          registrationSharedSecret: synapse.sharedSecret,
          autoJoinRooms: [`#${roomAlias}:${synapse.serverName}`],
        },
        mail: { smtp: sink.smtpConfig() },
      },
    });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("creates the account, joins public rooms, and the set-password link works", async () => {
    const { request, applicant } = await applyAndVerify(
      service,
      sink,
      newApplicant({ first_name: "Shared", last_name: "Secret" }),
    );
    await approveRequest(service, request.id);
    const provisioned = await waitForState(service, request.id, "provisioned");
    expect(await client.getUser(provisioned.userId!)).toMatchObject({ displayname: "Shared Secret" });
    expect(await joinedMembers()).toContain(provisioned.userId);
    const mail = await mailTo(sink, applicant.email, /set your password/);
    const link = findLink(mail.text, `${service.url}/password/`);
    const web = new WebClient(service.url);
    await web.get(link);
    const set = await web.postForm(link, {
      password: "Only-The-Secret-5",
      password_confirm: "Only-The-Secret-5",
    });
    expect(set.status).toBe(200);
    expect(set.body).toContain("Your password is set");
    expect((await login(applicant.username, "Only-The-Secret-5")).status).toBe(200);
  });
});
