// The SMTP server down for a while, then back: every email queued meanwhile is delivered exactly once.
import { afterAll, beforeAll, expect, it } from "vitest";
import { newApplicant } from "../support/flows.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { WebClient } from "../support/web-client.ts";

let service: TestService;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  service = await startTestService({
    config: { homeserver: { url: "http://127.0.0.1:9" }, mail: { smtp: sink.smtpConfig() } },
  });
});
afterAll(async () => {
  await service?.stop();
  await sink?.stop();
});

it("delivers every email queued while SMTP was down, once each, after it comes back", async () => {
  await sink.stop();
  const web = new WebClient(service.url);
  await web.get("/");
  const applicants = Array.from({ length: 20 }, () => newApplicant());
  for (const applicant of applicants)
    expect((await web.postForm("/register", { ...applicant })).status).toBe(303);

  // Failing sends are retried, not given up.
  const deadline = Date.now() + 10_000;
  let retried = 0;
  while (Date.now() < deadline && retried < applicants.length) {
    const rows = await service.deps.database.db
      .selectFrom("outbox")
      .select(["attempts", "dead_at", "completed_at"])
      .where("kind", "=", "email")
      .execute();
    expect(rows.every((r) => r.dead_at === null && r.completed_at === null)).toBe(true);
    retried = rows.filter((r) => r.attempts >= 1).length;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(retried).toBe(applicants.length);

  await sink.start();
  await sink.waitForCount(applicants.length, { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 2_000));
  for (const applicant of applicants)
    expect(sink.messages.filter((m) => m.to.includes(applicant.email))).toHaveLength(1);
  expect(sink.messages).toHaveLength(applicants.length);
  const open = await service.deps.database.db
    .selectFrom("outbox")
    .select("id")
    .where("completed_at", "is", null)
    .where("kind", "=", "email")
    .execute();
  expect(open).toEqual([]);
}, 90_000);
