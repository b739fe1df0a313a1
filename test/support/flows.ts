// Steps the end-to-end tests share: apply through the real site, verify through the emailed link, decide.
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { approve } from "../../src/registration/transitions.ts";
import type { RegistrationRequest, RequestId, RequestState } from "../../src/registration/types.ts";
import type { TestService } from "./service.ts";
import type { SmtpSink, SinkMessage } from "./smtp-sink.ts";
import { findLink, WebClient } from "./web-client.ts";

export interface Applicant {
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  note: string;
  password?: string;
  password_confirm?: string;
}

export function newApplicant(overrides: Partial<Applicant> = {}): Applicant {
  const id = randomBytes(4).toString("hex");
  return {
    username: `app-${id}`,
    email: `app-${id}@example.org`,
    first_name: "Ada",
    last_name: "Lovelace",
    note: "Hello moderators",
    ...overrides,
  };
}

/** Applies on the site and confirms the address from the email; returns the pending request. */
export async function applyAndVerify(
  service: TestService,
  sink: SmtpSink,
  applicant: Applicant = newApplicant(),
): Promise<{ request: RegistrationRequest; applicant: Applicant; client: WebClient }> {
  const client = new WebClient(service.url);
  await client.get("/");
  const fields: Record<string, string> = { ...applicant };
  for (const [index] of service.config.registration.legal.entries()) fields["accept_legal"] = String(index);
  const submitted = await client.postForm("/register", fields);
  expect(submitted.status, submitted.body.slice(0, 2000)).toBe(303);
  const mail = await sink.waitFor((m) => m.to.includes(applicant.email) && m.text.includes("/verify/"));
  const verify = findLink(mail.text, `${service.url}/verify/`);
  await client.get(verify);
  expect((await client.postForm(verify, {})).status).toBe(303);
  const request = (await service.deps.store.listRequests({ search: applicant.username })).find(
    (r) => r.localpart === applicant.username,
  );
  if (!request) throw new Error(`no request for ${applicant.username}`);
  expect(request.state).toBe("pending");
  return { request, applicant, client };
}

/** Approves as an operator at the CLI would. */
export async function approveRequest(service: TestService, id: RequestId): Promise<void> {
  const result = await approve(service.deps.store, { id, actor: { kind: "cli", name: "test" } }, new Date());
  expect(result.ok).toBe(true);
}

/** Waits (with a deadline) until the request reaches a state. */
export async function waitForState(
  service: TestService,
  id: RequestId,
  state: RequestState,
  timeoutMs = 30_000,
): Promise<RegistrationRequest> {
  const deadline = Date.now() + timeoutMs;
  let last: RegistrationRequest | null = null;
  while (Date.now() < deadline) {
    last = await service.deps.store.getRequest(id);
    if (last?.state === state) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `request ${id} did not reach ${state} within ${timeoutMs} ms (last: ${last?.state}, ${last?.failureReason ?? ""})`,
  );
}

/** The newest email to an address whose subject matches. */
export function mailTo(
  sink: SmtpSink,
  to: string,
  subject: RegExp,
  timeoutMs = 30_000,
): Promise<SinkMessage> {
  return sink.waitFor((m) => m.to.includes(to) && subject.test(m.subject), { timeoutMs });
}

/** Every text and bytea value in the database, to prove a secret is nowhere. */
export async function dumpDatabase(service: TestService): Promise<string> {
  const db = service.deps.database.db;
  const tables = await db.introspection.getTables();
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await db
      .selectFrom(table.name as never)
      .selectAll()
      .execute();
    parts.push(
      JSON.stringify(rows, (_key, value: unknown) =>
        value instanceof Uint8Array || Buffer.isBuffer(value)
          ? `bytes:${Buffer.from(value as Uint8Array).toString("latin1")}`
          : value,
      ),
    );
  }
  return parts.join("\n");
}
