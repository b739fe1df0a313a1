// The public site through real HTTP, on PGlite and on PostgreSQL: every page, every validation error and policy
// rule, and the whole way from the form to a verified request with a real SMTP conversation.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { addBan } from "../../src/db/ban.repository.ts";
import { databaseKinds } from "../support/database.ts";
import { registerUser } from "../support/homeserver.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { fieldError, findLink, WebClient } from "../support/web-client.ts";

const synapse = inject("synapse");
const unique = () => randomBytes(4).toString("hex");

function applicant(overrides: Record<string, string | string[]> = {}) {
  const id = unique();
  return {
    username: `ada-${id}`,
    email: `ada-${id}@example.org`,
    first_name: "Ada",
    last_name: "Lovelace",
    note: "I would like to discuss analytical engines.",
    accept_legal: "0",
    ...overrides,
  };
}

for (const kind of databaseKinds) {
  describe(`public site [${kind}]`, () => {
    let sink: SmtpSink;
    let service: TestService;

    async function requestRows(filter?: { email?: string; localpart?: string }) {
      let query = service.deps.database.db.selectFrom("registration_request").selectAll();
      if (filter?.email) query = query.where("email", "=", filter.email);
      if (filter?.localpart) query = query.where("localpart", "=", filter.localpart);
      return query.execute();
    }

    async function openForm(client = new WebClient(service.url)) {
      const page = await client.get("/");
      expect(page.status).toBe(200);
      return client;
    }

    beforeAll(async () => {
      sink = await startSmtpSink();
      service = await startTestService({
        database: kind,
        config: {
          homeserver: { url: synapse.url, serverName: synapse.serverName, adminToken: synapse.adminToken },
          mail: { smtp: sink.smtpConfig(), adminEmail: "moderators@example.org" },
          registration: {
            legal: [{ title: "Terms of Service", url: "https://example.org/terms" }],
            username: {
              minLength: 3,
              maxLength: 32,
              reserved: ["admin", "root"],
              bannedPatterns: ["^support"],
            },
          },
          web: {
            rateLimits: {
              register: { points: 1000, windowSeconds: 3600 },
              usernameCheck: { points: 1000, windowSeconds: 60 },
              verify: { points: 1000, windowSeconds: 3600 },
            },
          },
        },
      });
    });
    afterAll(async () => {
      await service?.stop();
      await sink?.stop();
    });

    describe("the form", () => {
      it("renders every field with its label, security headers, and an anti-forgery cookie", async () => {
        const client = new WebClient(service.url);
        const page = await client.get("/");
        expect(page.status).toBe(200);
        for (const name of ["username", "email", "first_name", "last_name", "note"]) {
          expect(page.body).toContain(`<label for="f-${name}">`);
          expect(page.body).toContain(`id="f-${name}" name="${name}"`);
        }
        expect(page.body).toContain('aria-describedby="f-username-hint f-username-live"');
        expect(page.body).toContain('name="accept_legal" value="0"');
        expect(page.body).toContain('<a href="https://example.org/terms"');
        expect(page.body).not.toContain('name="password"');
        expect(page.body).not.toMatch(/<script(?![^>]*src=)/);
        expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
        expect(page.headers.get("referrer-policy")).toBe("no-referrer");
        expect(page.headers.get("x-frame-options")).toBe("DENY");
        expect(client.cookie("vestibule_csrf")).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect(client.csrf).toBe(client.cookie("vestibule_csrf"));
      });

      it("speaks German by ?lang=, then by cookie, and by Accept-Language", async () => {
        const client = new WebClient(service.url);
        expect((await client.get("/?lang=de")).body).toContain("Konto beantragen");
        expect((await client.get("/")).body).toContain('<html lang="de">');
        expect(
          (
            await new WebClient(service.url).get("/", {
              "accept-language": "fr;q=0.9, de-AT;q=0.8, en;q=0.5",
            })
          ).body,
        ).toContain("Konto beantragen");
        expect((await new WebClient(service.url).get("/", { "accept-language": "fr" })).body).toContain(
          "Request an account",
        );
      });

      it("serves its stylesheet and script from /static with caching", async () => {
        const css = await fetch(`${service.url}/static/style.css`);
        expect(css.status).toBe(200);
        expect(css.headers.get("content-type")).toContain("text/css");
        expect(css.headers.get("etag")).toBeTruthy();
        const cached = await fetch(`${service.url}/static/style.css`, {
          headers: { "if-none-match": css.headers.get("etag")! },
        });
        expect(cached.status).toBe(304);
        expect((await fetch(`${service.url}/static/app.js`)).status).toBe(200);
        expect((await fetch(`${service.url}/static/../package.json`)).status).toBe(404);
      });
    });

    describe("submission", () => {
      it("stores an unverified request, queues the verification email and redirects", async () => {
        const client = await openForm();
        const form = applicant();
        const response = await client.postForm("/register", form);
        expect(response.status).toBe(303);
        expect(response.location).toBe("/check-email");
        const [row] = await requestRows({ localpart: form.username });
        expect(row).toMatchObject({
          state: "unverified",
          email: form.email,
          first_name: "Ada",
          last_name: "Lovelace",
          locale: "en",
          client_ip: "127.0.0.1",
        });
        const mail = await sink.waitFor((m) => m.to.includes(form.email));
        expect(mail.subject).toBe("Please confirm your email address");
        expect(mail.text).toContain(`@${form.username}:${synapse.serverName}`);
        expect(mail.html).toContain("Confirm my email address");
        findLink(mail.text, `${service.url}/verify/`);
        findLink(mail.text, `${service.url}/status/`);
        const check = await client.get("/check-email");
        expect(check.body).toContain("Check your email");
      });

      it("writes the email in the applicant's language", async () => {
        const client = new WebClient(service.url);
        await client.get("/?lang=de");
        const form = applicant();
        expect((await client.postForm("/register", form)).status).toBe(303);
        const mail = await sink.waitFor((m) => m.to.includes(form.email));
        expect(mail.subject).toBe("Bitte bestätige deine E-Mail-Adresse");
        expect(mail.headers.get("content-language")).toBe("de");
      });

      const usernameCases: [string, string][] = [
        ["", "This field is required."],
        ["ab", "This is too short."],
        ["a".repeat(33), "This is too long."],
        ["Ada", "Use lower-case letters only."],
        ["ada lovelace", "Use only lower-case letters, digits and . _ = - / +"],
        ["12345", "A username cannot consist of digits only."],
        ["_ada", "A username cannot start with an underscore."],
        ["admin", "This username is reserved."],
        ["support-desk", "This username is not allowed."],
      ];
      for (const [username, message] of usernameCases) {
        it(`refuses the username ${JSON.stringify(username)} with a message tied to the field`, async () => {
          const client = await openForm();
          const form = applicant({ username });
          const response = await client.postForm("/register", form);
          expect(response.status).toBe(422);
          expect(fieldError(response.body, "username")).toBe(message);
          expect(response.body).toContain(
            'aria-describedby="f-username-hint f-username-error f-username-live"',
          );
          // What was typed is kept.
          expect(response.body).toContain(`value="${form.email}"`);
          expect(response.body).toContain("I would like to discuss analytical engines.");
          expect(await requestRows({ email: form.email })).toHaveLength(0);
        });
      }

      it("refuses bad emails, missing names, a missing note and an unaccepted document, all at once", async () => {
        const client = await openForm();
        const form = applicant({ email: "ada@", first_name: "  ", note: "", accept_legal: [] });
        const response = await client.postForm("/register", form);
        expect(response.status).toBe(422);
        expect(fieldError(response.body, "email")).toBe("This is not valid.");
        expect(fieldError(response.body, "first_name")).toBe("This field is required.");
        expect(fieldError(response.body, "note")).toBe("This field is required.");
        expect(fieldError(response.body, "legal-0")).toBe("Please accept this to continue.");
        expect(fieldError(response.body, "username")).toBeUndefined();
        expect(response.body).toContain('role="alert"');
        expect(await requestRows({ localpart: form.username })).toHaveLength(0);
      });

      it("translates field errors", async () => {
        const client = new WebClient(service.url);
        await client.get("/?lang=de");
        const response = await client.postForm("/register", applicant({ username: "Ada" }));
        expect(fieldError(response.body, "username")).toBe("Bitte nur Kleinbuchstaben verwenden.");
      });

      it("refuses a name held by a live request, and one that exists on the homeserver", async () => {
        const first = applicant();
        const client = await openForm();
        expect((await client.postForm("/register", first)).status).toBe(303);
        const again = await client.postForm("/register", applicant({ username: first.username }));
        expect(again.status).toBe(409);
        expect(fieldError(again.body, "username")).toBe("This username is already taken.");

        const existing = await registerUser(synapse);
        const onHomeserver = await client.postForm("/register", applicant({ username: existing.localpart }));
        expect(fieldError(onHomeserver.body, "username")).toBe("This username is already taken.");
        expect(await requestRows({ localpart: existing.localpart })).toHaveLength(0);
      });

      it("allows one live request per email address", async () => {
        const first = applicant();
        const client = await openForm();
        expect((await client.postForm("/register", first)).status).toBe(303);
        const second = await client.postForm("/register", applicant({ email: first.email.toUpperCase() }));
        expect(second.status).toBe(409);
        expect(fieldError(second.body, "email")).toBe(
          "There is already a request or an account for this email address.",
        );
      });

      it("refuses banned IPs, addresses, domains and name patterns without storing anything", async () => {
        const db = service.deps.database.db;
        const now = new Date();
        const bans = [
          { kind: "email" as const, value: `banned-${unique()}@example.org` },
          { kind: "domain" as const, value: `spam-${unique()}.test` },
          { kind: "username" as const, value: "^evil" },
        ];
        for (const ban of bans)
          await addBan(db, { ...ban, reason: "test", expiresAt: null, createdBy: "test", now });
        const cases = [
          applicant({ email: bans[0]!.value }),
          applicant({ email: `x-${unique()}@mail.${bans[1]!.value}` }),
          applicant({ username: `evil${unique()}` }),
        ];
        for (const form of cases) {
          const response = await (await openForm()).postForm("/register", form);
          expect(response.status).toBe(403);
          expect(response.body).toContain("Requests from you cannot be accepted.");
          expect(await requestRows({ email: form.email })).toHaveLength(0);
        }
        const ipBan = await addBan(db, {
          kind: "ip",
          value: "127.0.0.0/8",
          reason: "test",
          expiresAt: null,
          createdBy: "test",
          now,
        });
        try {
          const form = applicant();
          const response = await (await openForm()).postForm("/register", form);
          expect(response.status).toBe(403);
          expect(await requestRows({ email: form.email })).toHaveLength(0);
        } finally {
          await db.deleteFrom("ban").where("id", "=", ipBan.id).execute();
        }
      });

      it("answers a filled honeypot like a success but stores nothing", async () => {
        const client = await openForm();
        const form = applicant({ website: "http://spam.example" });
        const response = await client.postForm("/register", form);
        expect(response.status).toBe(303);
        expect(await requestRows({ email: form.email })).toHaveLength(0);
      });

      it("refuses a form without the anti-forgery value, with a wrong one, or from another site", async () => {
        const client = await openForm();
        for (const [fields, headers] of [
          [{ ...applicant(), _csrf: "" }, {}],
          [{ ...applicant(), _csrf: "x".repeat(32) }, {}],
          [applicant(), { "sec-fetch-site": "cross-site" }],
        ] as const) {
          const response = await client.postForm("/register", fields, headers);
          expect(response.status).toBe(403);
          expect(response.body).toContain("Please try again");
          expect(await requestRows({ email: fields.email })).toHaveLength(0);
        }
        const fresh = new WebClient(service.url);
        expect((await fresh.postForm("/register", applicant())).status).toBe(403);
      });

      it("answers unreadable or oversized bodies with a page, never a 5xx", async () => {
        const client = await openForm();
        const bad = await client.request("POST", "/register", {
          body: `_csrf=${client.csrf}&username=%E0%A4%A`,
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        expect(bad.status).toBeLessThan(500);
        const json = await client.request("POST", "/register", {
          body: "{}",
          headers: { "content-type": "application/json" },
        });
        expect(json.status).toBe(400);
        const huge = await client.request("POST", "/register", {
          body: `_csrf=${client.csrf}&note=${"x".repeat(200_000)}`,
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        expect(huge.status).toBe(413);
        expect(huge.body).toContain("Too much data");
      });

      it("answers a NUL byte in any form field, path or query with a 400 page (JSON under /api/), never a 5xx", async () => {
        const client = await openForm();
        for (const body of [
          `_csrf=${client.csrf}&username=ada%00x&email=a%40b.example&first_name=A&note=n`,
          `_csrf=${client.csrf}&username=ada&first_name=A%00&email=a%40b.example&note=n`,
          `_csrf=${client.csrf}&user%00name=ada`,
        ]) {
          const posted = await client.request("POST", "/register", {
            body,
            headers: { "content-type": "application/x-www-form-urlencoded" },
          });
          expect(posted.status, body).toBe(400);
          expect(posted.body).toContain("<html");
        }
        for (const path of [
          "/?lang=%00",
          "/status/abc%00def",
          "/verify/%00",
          "/invite/x%00y",
          "/admin/requests?q=%00",
        ]) {
          const page = await client.request("GET", path);
          expect(page.status, path).toBe(400);
          expect(page.body, path).toContain("<html");
        }
        const api = await fetch(`${service.url}/api/username/a%00b`);
        expect(api.status).toBe(400);
        expect(await api.json()).toMatchObject({ code: "bad_request" });
      });
    });

    describe("live username check", () => {
      it("answers from the policy, live requests and the homeserver", async () => {
        const check = async (name: string) =>
          (await (await fetch(`${service.url}/api/username/${encodeURIComponent(name)}`)).json()) as unknown;
        expect(await check(`free-${unique()}`)).toEqual({
          available: true,
          reason: "This username is available.",
          code: "available",
        });
        expect(await check("Ada")).toMatchObject({ available: false, code: "uppercase" });
        expect(await check("root")).toMatchObject({ available: false, code: "reserved" });
        const existing = await registerUser(synapse);
        expect(await check(existing.localpart)).toMatchObject({ available: false, code: "taken" });
        const form = applicant();
        expect((await (await openForm()).postForm("/register", form)).status).toBe(303);
        expect(await check(form.username)).toMatchObject({ available: false, code: "taken" });
        const german = await fetch(`${service.url}/api/username/Ada?lang=de`);
        expect(((await german.json()) as { reason: string }).reason).toBe(
          "Bitte nur Kleinbuchstaben verwenden.",
        );
      });
    });

    describe("verification and status", () => {
      async function submitAndGetLinks(client: WebClient) {
        const form = applicant();
        expect((await client.postForm("/register", form)).status).toBe(303);
        const mail = await sink.waitFor((m) => m.to.includes(form.email));
        return {
          form,
          verify: findLink(mail.text, `${service.url}/verify/`),
          status: findLink(mail.text, `${service.url}/status/`),
        };
      }

      it("GET shows a confirm button and changes nothing; POST verifies, queues the room post and the admin email", async () => {
        const client = await openForm();
        const { form, verify, status } = await submitAndGetLinks(client);
        const shown = await client.get(verify);
        expect(shown.status).toBe(200);
        expect(shown.body).toContain(`<form method="post" action="/verify/`);
        expect(shown.body).toContain(form.username);
        expect((await requestRows({ localpart: form.username }))[0]?.state).toBe("unverified");

        const confirmed = await client.postForm(verify, {});
        expect(confirmed.status).toBe(303);
        expect(confirmed.location).toMatch(/^\/status\/[A-Za-z0-9_-]{43}$/);
        const [row] = await requestRows({ localpart: form.username });
        expect(row?.state).toBe("pending");
        const kinds = await service.deps.database.db
          .selectFrom("outbox")
          .select("kind")
          .where("request_id", "=", row!.id)
          .execute();
        expect(kinds.map((k) => k.kind)).toContain("bot.post_request");
        const admin = await sink.waitFor(
          (m) => m.to.includes("moderators@example.org") && m.subject.includes(form.username),
        );
        expect(admin.text).toContain(form.email);

        const statusPage = await client.get(confirmed.location!);
        expect(statusPage.body).toContain("Waiting for review");
        const fromEmail = await client.get(status);
        expect(fromEmail.body).toContain("Waiting for review");
      });

      it("shows clear pages for unknown, malformed, expired and used links", async () => {
        const client = await openForm();
        expect((await client.get(`/verify/${"A".repeat(43)}`)).status).toBe(404);
        expect((await client.get("/verify/short")).status).toBe(404);
        expect((await client.get(`/status/${"A".repeat(43)}`)).status).toBe(404);

        const { form, verify } = await submitAndGetLinks(client);
        const [row] = await requestRows({ localpart: form.username });
        await service.deps.database.db
          .updateTable("secret_token")
          .set({ expires_at: new Date(Date.now() - 1000) })
          .where("request_id", "=", row!.id)
          .where("purpose", "=", "verify_email")
          .execute();
        const expired = await client.get(verify);
        expect(expired.status).toBe(410);
        expect(expired.body).toContain("This link has expired");
        const post = await client.postForm(verify, {});
        expect(post.status).toBe(410);
        expect((await requestRows({ localpart: form.username }))[0]?.state).toBe("unverified");
      });

      it("an old link after verifying leads to the status instead of an error", async () => {
        const client = await openForm();
        const { verify } = await submitAndGetLinks(client);
        await client.get(verify);
        expect((await client.postForm(verify, {})).status).toBe(303);
        const statusLinks = () =>
          service.deps.database.db
            .selectFrom("secret_token")
            .select((eb) => eb.fn.countAll<string>().as("n"))
            .where("purpose", "=", "status")
            .executeTakeFirstOrThrow()
            .then((r) => Number(r.n));
        const before = await statusLinks();
        // Posting the used link again shows the status, and mints no new status link each time.
        for (let i = 0; i < 3; i++) {
          const again = await client.postForm(verify, {});
          expect(again.status).toBe(200);
          expect(again.body).toContain("Waiting for review");
        }
        expect(await statusLinks()).toBe(before);
      });
    });

    it("answers unknown pages with a 404 page that leaks nothing", async () => {
      const page = await new WebClient(service.url).get("/does-not-exist");
      expect(page.status).toBe(404);
      expect(page.body).toContain("Page not found");
      expect(page.body).not.toMatch(/stack|at \/|node_modules/);
    });
  });
}

describe("rate limits", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      config: {
        homeserver: { url: "http://127.0.0.1:9" },
        web: {
          rateLimits: {
            register: { points: 3, windowSeconds: 3600 },
            usernameCheck: { points: 3, windowSeconds: 60 },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("holds per IP, and a spoofed X-Forwarded-For from an untrusted peer does not escape it", async () => {
    const client = await (async () => {
      const c = new WebClient(service.url);
      await c.get("/");
      return c;
    })();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await client.postForm("/register", applicant(), {
        "x-forwarded-for": `203.0.113.${i}`,
      });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
        expect(response.body).toContain("Too many attempts");
      }
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    const rows = await service.deps.database.db
      .selectFrom("rate_limit")
      .select(["key", "hits"])
      .where("key", "like", "register:%")
      .execute();
    expect(rows).toEqual([{ key: "register:ip:127.0.0.1", hits: 5 }]);
  });

  it("limits the username API too", async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await fetch(`${service.url}/api/username/name${i}`)).status);
    expect(codes).toEqual([200, 200, 200, 429]);
  });
});

describe("trusted proxies", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      config: {
        homeserver: { url: "http://127.0.0.1:9" },
        web: { trustedProxies: ["127.0.0.1"], rateLimits: { register: { points: 1, windowSeconds: 3600 } } },
      },
    });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("takes the client from X-Forwarded-For behind a trusted proxy, skipping spoofed entries on the left", async () => {
    const client = new WebClient(service.url);
    await client.get("/");
    const form = applicant();
    const response = await client.postForm("/register", form, {
      "x-forwarded-for": "198.51.100.7, 192.0.2.44",
    });
    expect(response.status).toBe(303);
    const row = await service.deps.database.db
      .selectFrom("registration_request")
      .select("client_ip")
      .where("email", "=", form.email)
      .executeTakeFirst();
    expect(row?.client_ip).toBe("192.0.2.44");
    // Another client behind the same proxy has its own budget; the same one does not.
    expect(
      (await client.postForm("/register", applicant(), { "x-forwarded-for": "192.0.2.45" })).status,
    ).toBe(303);
    expect(
      (await client.postForm("/register", applicant(), { "x-forwarded-for": "1.2.3.4, 192.0.2.44" })).status,
    ).toBe(429);
  });

  it("checks the forwarded client, not the proxy's loopback address, for /metrics and the details of /healthz", async () => {
    const outside = { "x-forwarded-for": "203.0.113.9" };
    expect((await fetch(`${service.url}/metrics`, { headers: outside })).status).toBe(403);
    const bare = await fetch(`${service.url}/healthz`, { headers: outside });
    expect(bare.status).toBe(200);
    expect(await bare.json()).toEqual({ status: expect.any(String) });
    // A client on the proxy's host (forwarded as loopback) is in the audience.
    const local = { "x-forwarded-for": "127.0.0.1" };
    expect((await fetch(`${service.url}/metrics`, { headers: local })).status).toBe(200);
    expect(await (await fetch(`${service.url}/healthz`, { headers: local })).json()).toHaveProperty(
      "components",
    );
  });

  it("limits IPv6 clients per /64 and stores their address in one spelling", async () => {
    const client = new WebClient(service.url);
    await client.get("/");
    const form = applicant();
    expect(
      (
        await client.postForm("/register", form, {
          "x-forwarded-for": "2001:0DB8:0001:0002:0000:0000:0000:0001",
        })
      ).status,
    ).toBe(303);
    const row = await service.deps.database.db
      .selectFrom("registration_request")
      .select("client_ip")
      .where("email", "=", form.email)
      .executeTakeFirst();
    expect(row?.client_ip).toBe("2001:db8:1:2::1");
    // The rest of that /64 shares the budget of one sign-up, in any spelling.
    for (const address of ["2001:db8:1:2::2", "2001:db8:1:2:ffff::7", "2001:db8:1:2:0:0:0:1"])
      expect(
        (await client.postForm("/register", applicant(), { "x-forwarded-for": address })).status,
        address,
      ).toBe(429);
    // The next /64 has its own.
    expect(
      (await client.postForm("/register", applicant(), { "x-forwarded-for": "2001:db8:1:3::1" })).status,
    ).toBe(303);
  });
});

describe("a metrics token", () => {
  let service: TestService;
  const token = "metrics-token-for-tests-0123";
  beforeAll(async () => {
    service = await startTestService({
      config: { homeserver: { url: "http://127.0.0.1:9" }, web: { metricsToken: token } },
    });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("replaces the allow-list: even loopback needs the bearer token for /metrics and the details of /healthz", async () => {
    expect((await fetch(`${service.url}/metrics`)).status).toBe(403);
    expect(
      (await fetch(`${service.url}/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } }))
        .status,
    ).toBe(403);
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: expect.any(String) });
    const authorized = { authorization: `Bearer ${token}` };
    expect((await fetch(`${service.url}/metrics`, { headers: authorized })).status).toBe(200);
    expect(await (await fetch(`${service.url}/healthz`, { headers: authorized })).json()).toHaveProperty(
      "components",
    );
  });
});
