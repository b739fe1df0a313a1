// Synapse down during approvals, then back: every approved request is provisioned exactly once, after the
// restart, and each applicant gets exactly one credentials email. Uses a Synapse instance of its own.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import { applyAndVerify, approveRequest, newApplicant, waitForState } from "../support/flows.ts";
import { startSynapse, type SynapseHandle } from "../support/homeserver.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

let synapse: SynapseHandle;
let service: TestService;
let sink: SmtpSink;

beforeAll(async () => {
  synapse = await startSynapse({ name: "fault-down", port: 18028 });
  sink = await startSmtpSink();
  service = await startTestService({
    config: {
      homeserver: {
        url: synapse.url,
        serverName: synapse.serverName,
        adminToken: synapse.adminToken,
        requestTimeoutMs: 2000,
      },
      mail: { smtp: sink.smtpConfig() },
    },
  });
}, 180_000);
afterAll(async () => {
  await service?.stop();
  await sink?.stop();
  await synapse?.start().catch(() => undefined);
});

it("provisions every request approved while Synapse was down exactly once after it returns", async () => {
  const applied = [];
  for (let i = 0; i < 5; i++) applied.push(await applyAndVerify(service, sink, newApplicant()));

  await synapse.stop();
  for (const { request } of applied) await approveRequest(service, request.id);

  // While Synapse is away the work is retried, not given up, and nobody is told "approved".
  const deadline = Date.now() + 5_000;
  let attempts = 0;
  while (Date.now() < deadline && attempts < 2) {
    const row = await service.deps.database.db
      .selectFrom("outbox")
      .select((eb) => eb.fn.max("attempts").as("n"))
      .where("kind", "=", "provision")
      .executeTakeFirst();
    attempts = Number(row?.n ?? 0);
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(attempts).toBeGreaterThanOrEqual(2);
  for (const { request } of applied)
    expect((await service.deps.store.getRequest(request.id))?.state).toBe("approved");
  expect(sink.messages.filter((m) => /ready/.test(m.subject))).toHaveLength(0);

  await synapse.start();
  service.outbox!.wake();
  const client = createSynapseClient({
    url: synapse.url,
    serverName: synapse.serverName,
    adminToken: synapse.adminToken,
  });
  for (const { request, applicant } of applied) {
    const done = await waitForState(service, request.id, "provisioned", 60_000);
    const user = await client.getUser(done.userId!);
    expect(user?.externalIds).toEqual([
      { authProvider: "vestibule", externalId: expect.stringMatching(new RegExp(`^request:${request.id}:`)) },
    ]);
    await sink.waitFor((m) => m.to.includes(applicant.email) && /ready/.test(m.subject), {
      timeoutMs: 30_000,
    });
  }
  // Exactly one credentials email each, even after all the retries.
  await new Promise((r) => setTimeout(r, 1000));
  for (const { applicant } of applied) {
    expect(
      sink.messages.filter((m) => m.to.includes(applicant.email) && /ready/.test(m.subject)),
    ).toHaveLength(1);
  }
}, 180_000);
