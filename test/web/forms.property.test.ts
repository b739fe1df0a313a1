// Property: whatever arrives in a form — any field values, encodings, sizes, repeated or missing fields — the
// answer is never a 5xx, and a rejected submission stores nothing.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestService, type TestService } from "../support/service.ts";
import { WebClient } from "../support/web-client.ts";

let service: TestService;
let client: WebClient;

beforeAll(async () => {
  service = await startTestService({
    config: {
      homeserver: { url: "http://127.0.0.1:9" },
      registration: {
        legal: [{ title: "Terms", url: "https://example.org/terms" }],
        emailCooldownSeconds: 0,
      },
      web: {
        rateLimits: {
          register: { points: 100_000, windowSeconds: 60 },
          verify: { points: 100_000, windowSeconds: 60 },
          usernameCheck: { points: 100_000, windowSeconds: 60 },
        },
      },
    },
  });
  client = new WebClient(service.url);
  await client.get("/");
});
afterAll(async () => {
  await service?.stop();
});

const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.constantFrom(
    "",
    " ",
    "ada",
    "Ada",
    "admin",
    "a@b.c",
    "%",
    "\u0000",
    "\r\nBcc: x@y.z",
    "<script>alert(1)</script>",
    "a".repeat(3000),
  ),
);
const fieldNames = [
  "username",
  "email",
  "first_name",
  "last_name",
  "note",
  "password",
  "password_confirm",
  "accept_legal",
  "website",
  "_csrf",
];
let serial = 0;
/** A valid application with one field replaced by anything: exercises both the accepted and the refused path. */
const perturbed = fc
  .tuple(
    fc.constantFrom("username", "email", "first_name", "last_name", "note", "accept_legal", "none"),
    anyText,
  )
  .map(([name, value]) => {
    serial++;
    const valid: Record<string, string | string[]> = {
      username: `prop-${serial}-${Date.now().toString(36)}`,
      email: `prop-${serial}-${Date.now().toString(36)}@example.org`,
      first_name: "Pat",
      last_name: "Doe",
      note: "hello",
      accept_legal: "0",
    };
    if (name !== "none") valid[name] = value;
    return valid;
  });
const randomForm = fc.dictionary(
  fc.constantFrom(...fieldNames, "unexpected", "accept_legal[]"),
  fc.oneof(anyText, fc.array(anyText, { maxLength: 3 })),
  { maxKeys: 12 },
);
const form = fc.oneof(randomForm, perturbed);
let accepted = 0;

function encode(
  fields: Record<string, string | string[]>,
  csrf: string | undefined,
  keepCsrf: boolean,
): string {
  const params = new URLSearchParams();
  if (keepCsrf && csrf && !("_csrf" in fields)) params.append("_csrf", csrf);
  for (const [key, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  return params.toString();
}

async function countRequests(): Promise<number> {
  const row = await service.deps.database.db
    .selectFrom("registration_request")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

it("POST /register never answers 5xx and stores a row only for an accepted submission", async () => {
  await fc.assert(
    fc.asyncProperty(form, fc.boolean(), async (fields, keepCsrf) => {
      const before = await countRequests();
      const response = await client.request("POST", "/register", {
        body: encode(fields, client.csrf, keepCsrf),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(response.status).toBeLessThan(500);
      const after = await countRequests();
      if (response.status === 303 && response.location === "/check-email") {
        expect(after - before).toBeLessThanOrEqual(1);
        accepted += after - before;
      } else expect(after).toBe(before);
    }),
    { numRuns: 300 },
  );
  // The generator must reach the accepting path too, or the property says little about it.
  expect(accepted).toBeGreaterThan(10);
});

it("raw bodies of any bytes and any content type never produce a 5xx", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 2000 }),
      fc.constantFrom(
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "multipart/form-data",
        "text/plain",
        "application/json",
        "",
      ),
      fc.constantFrom("/register", `/verify/${"A".repeat(43)}`, "/verify/%ZZ", "/status/x"),
      async (bytes, type, path) => {
        const before = await countRequests();
        const response = await client.request("POST", path, {
          body: bytes,
          headers: type ? { "content-type": type } : {},
        });
        expect(response.status).toBeLessThan(500);
        expect(await countRequests()).toBe(before);
      },
    ),
    { numRuns: 200 },
  );
});

it("GET routes with arbitrary path parameters never produce a 5xx", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.string({ maxLength: 80 }),
      fc.constantFrom("/verify/", "/status/", "/api/username/"),
      async (param, prefix) => {
        const response = await client.get(`${prefix}${encodeURIComponent(param)}`);
        expect(response.status).toBeLessThan(500);
      },
    ),
    { numRuns: 200 },
  );
});
