// The rotating shared token with a controlled clock: the file changes at the configured time, the site hands out
// today's token by email (cooldown and bans applying), and is closed in the window before rotation.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { addBan } from "../../src/db/ban.repository.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { WebClient } from "../support/web-client.ts";

let service: TestService;
let sink: SmtpSink;
let file: string;
let now = new Date("2026-11-22T12:00:00Z");

beforeAll(async () => {
  sink = await startSmtpSink();
  file = join(await mkdtemp(join(tmpdir(), "rotating-site-")), "registration_token");
  service = await startTestService({
    clock: () => now,
    config: {
      homeserver: { url: "http://127.0.0.1:9" },
      mail: { smtp: sink.smtpConfig() },
      registration: {
        rotatingToken: { file, time: "04:00", closedMinutes: 15, length: 24 },
        emailCooldownSeconds: 3600,
      },
    },
  });
});
afterAll(async () => {
  await service?.stop();
  await sink?.stop();
});

async function requestToken(email: string) {
  const web = new WebClient(service.url);
  const form = await web.get("/token");
  expect(form.status).toBe(200);
  return web.postForm("/token", { email });
}

it("emails today's token (the one in the file), once per cooldown, and not to banned addresses", async () => {
  const today = (await readFile(file, "utf8")).trim();
  expect(today).toMatch(/^[A-Za-z0-9]{24}$/);
  const sent = await requestToken("asker@example.org");
  expect(sent.body).toContain("Check your email");
  const mail = await sink.waitFor((m) => m.to.includes("asker@example.org"));
  expect(mail.subject).toBe("Your registration token");
  expect(mail.text).toContain(`Registration token: ${today}`);
  expect(mail.text).toContain("2026-11-23 04:00 UTC");

  await requestToken("asker@example.org");
  await addBan(service.deps.database.db, {
    kind: "domain",
    value: "banned.example",
    reason: null,
    expiresAt: null,
    createdBy: "test",
    now,
  });
  const banned = await requestToken("x@banned.example");
  expect(banned.body).toContain("Check your email");
  await new Promise((r) => setTimeout(r, 1000));
  expect(sink.messages.filter((m) => m.to.includes("asker@example.org"))).toHaveLength(1);
  expect(sink.messages.filter((m) => m.to.includes("x@banned.example"))).toHaveLength(0);
});

it("closes the site in the window before rotation, and the file changes at the configured time", async () => {
  const before = (await readFile(file, "utf8")).trim();
  now = new Date("2026-11-23T03:50:00Z");
  const closed = await new WebClient(service.url).get("/token");
  expect(closed.status).toBe(503);
  expect(closed.body).toContain("04:00 UTC");
  now = new Date("2026-11-23T04:00:30Z");
  // The scheduler checks every minute; run the job now rather than wait for cron.
  const { rotateToken } = await import("../../src/jobs/rotate-token.ts");
  await rotateToken(
    { db: service.deps.database.db, settings: service.config.registration.rotatingToken! },
    now,
  );
  const after = (await readFile(file, "utf8")).trim();
  expect(after).not.toBe(before);
  const sent = await requestToken("second@example.org");
  expect(sent.status).toBe(200);
  const mail = await sink.waitFor((m) => m.to.includes("second@example.org"));
  expect(mail.text).toContain(`Registration token: ${after}`);
});
