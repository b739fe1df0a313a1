// The internal API on each database: every endpoint's success and failure shapes, checked against
// internal/openapi.json, and bad input of every kind answered with a 4xx { errcode, error }.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPasswordHasher, type PasswordHasher } from "../../src/crypto/index.ts";
import { createLocalAccount, setLocalAccountDisabled } from "../../src/db/local-account.repository.ts";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import { createInternalApp } from "../../src/internal/app.ts";
import { parseConfig } from "../../src/config/index.ts";
import { createLogger } from "../../src/logger.ts";
import { listen, type Listener } from "../../src/web/listen.ts";
import { describeEachDatabase, type TestDatabase } from "../support/database.ts";
import { registerUser } from "../support/homeserver.ts";
import { assertMatchesContract } from "../support/openapi.ts";

const synapse = inject("synapse");
const SECRET = "internal-secret-for-tests-0123";
const mx = "/_mxisd/backend/api/v1";
const ma = "/_ma1sd/backend/api/v1";

describeEachDatabase("internal API", (getDb) => {
  let db: TestDatabase;
  let hasher: PasswordHasher;
  let verifyCalls = 0;
  let listener: Listener;
  let profileListener: Listener;
  let hsUser: Awaited<ReturnType<typeof registerUser>>;

  async function post(
    path: string,
    body: unknown,
    options: {
      secret?: string | null;
      raw?: string;
      contentType?: string;
      base?: string;
      token?: string;
    } = {},
  ) {
    const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json" };
    const secret = options.secret === undefined ? SECRET : options.secret;
    if (options.token) headers["authorization"] = `Bearer ${options.token}`;
    else if (secret) headers["authorization"] = `Bearer ${secret}`;
    const response = await fetch(`${options.base ?? listener.url}${path}`, {
      method: "POST",
      headers,
      body: options.raw ?? JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {} };
  }

  /** Posts, and checks the answer against the contract. */
  async function call(path: string, body: unknown, options: Parameters<typeof post>[2] = {}) {
    const result = await post(path, body, options);
    assertMatchesContract(path, result.status, result.body);
    return result;
  }

  beforeAll(async () => {
    db = getDb();
    // Cheap limits keep the suite fast; the timing behaviour is measured in the benchmark.
    const real = await createPasswordHasher({ opsLimit: 1, memLimit: 65536, threads: 2 });
    hasher = {
      ...real,
      verify: (hash, password) => {
        verifyCalls++;
        return real.verify(hash, password);
      },
      dummyHash: () => real.dummyHash(),
      needsRehash: (hash) => real.needsRehash(hash),
      hash: (password) => real.hash(password),
      close: () => real.close(),
    };
    const now = new Date();
    hsUser = await registerUser(synapse);
    const accounts = [
      { localpart: "ada", email: "Ada@Example.org", displayName: "Ada Lovelace", password: "ada-password-1" },
      {
        localpart: "alan",
        email: "alan@example.org",
        displayName: "Alan Turing",
        password: "alan-password-1",
      },
      {
        localpart: "grace_h",
        email: "grace@example.org",
        displayName: "Grace Hopper",
        password: "grace-password",
      },
      {
        localpart: "disabled",
        email: "off@example.org",
        displayName: "Disabled",
        password: "disabled-password",
      },
      { localpart: "nopass", email: "nopass@example.org", displayName: "No Password", password: null },
      {
        localpart: hsUser.localpart,
        email: "hs@example.org",
        displayName: "On Synapse",
        password: "old-password-1",
      },
    ];
    let id = 1;
    for (const a of accounts) {
      await createLocalAccount(db.db, {
        localpart: a.localpart,
        email: a.email,
        displayName: a.displayName,
        passwordHash: a.password ? await hasher.hash(a.password) : null,
        requestId: null as unknown as number,
        now,
      });
      id++;
    }
    void id;
    await setLocalAccountDisabled(db.db, "disabled", true, now);
    const config = parseConfig({
      homeserver: {
        url: synapse.url,
        serverName: "localhost",
        mode: "local",
        adminToken: synapse.adminToken,
      },
      internal: { secret: SECRET, directory: { maxResults: 2 }, bulkLookupMax: 10, maxBodyBytes: 4096 },
    });
    const homeserver = createSynapseClient({
      url: synapse.url,
      serverName: "localhost",
      adminToken: synapse.adminToken,
    });
    const logger = createLogger({ level: "silent" });
    listener = await listen(
      createInternalApp({
        config,
        db: db.db,
        hasher: () => Promise.resolve(hasher),
        homeserver,
        logger,
        clock: () => new Date(),
      }),
      "127.0.0.1:0",
    );
    const withProfile = parseConfig({
      homeserver: { serverName: "localhost", mode: "local" },
      internal: { restAuth: { sendProfile: true } },
    });
    profileListener = await listen(
      createInternalApp({
        config: withProfile,
        db: db.db,
        hasher: () => Promise.resolve(hasher),
        homeserver,
        logger,
        clock: () => new Date(),
      }),
      "127.0.0.1:0",
    );
  });
  afterAll(async () => {
    await listener?.close();
    await profileListener?.close();
    await hasher?.close();
  });

  describe("check_credentials (rest-auth)", () => {
    const path = "/_matrix-internal/identity/v1/check_credentials";
    it("accepts the right password with an empty profile, and refuses wrong, unknown, disabled, password-less and foreign users with 200 success false", async () => {
      expect((await call(path, { user: { id: "@ada:localhost", password: "ada-password-1" } })).body).toEqual(
        { auth: { success: true, mxid: "@ada:localhost", profile: {} } },
      );
      for (const [id, password] of [
        ["@ada:localhost", "wrong"],
        ["@nobody:localhost", "x"],
        ["@disabled:localhost", "disabled-password"],
        ["@nopass:localhost", ""],
        ["@ada:other.example", "ada-password-1"],
        ["not-an-mxid", "x"],
      ]) {
        const result = await call(path, { user: { id, password } });
        expect(result, id).toEqual({ status: 200, body: { auth: { success: false } } });
      }
    });

    it("hashes for a wrong password but not for unknown, disabled or foreign users (they wait a decoy delay)", async () => {
      // Earlier checks have timed real verifications, so no calibration hash is due any more.
      for (const [id, password, hashes] of [
        ["@nobody:localhost", "x", 0],
        ["@disabled:localhost", "disabled-password", 0],
        ["@x:elsewhere", "x", 0],
        ["@ada:localhost", "wrong", 1],
      ] as const) {
        verifyCalls = 0;
        expect((await call(path, { user: { id, password } })).body, id).toEqual({ auth: { success: false } });
        expect(verifyCalls, id).toBe(hashes);
      }
    });

    it("answers a real login while 200 checks of unknown names run, hashing only for the real one", async () => {
      verifyCalls = 0;
      const flood = Array.from({ length: 200 }, (_, i) =>
        post(path, { user: { id: `@flood-${i}-${Date.now()}:localhost`, password: "x" } }),
      );
      const real = await call(path, { user: { id: "@alan:localhost", password: "alan-password-1" } });
      expect(real.body.auth.success).toBe(true);
      const answers = await Promise.all(flood);
      expect(new Set(answers.map((a) => `${a.status} ${JSON.stringify(a.body)}`))).toEqual(
        new Set(['200 {"auth":{"success":false}}']),
      );
      expect(verifyCalls).toBe(1);
    });

    it("throttles failed attempts for one account and answers them as ordinary failures", async () => {
      const limit = 10; // internal.loginThrottle.accountFailures (default)
      verifyCalls = 0;
      for (let i = 0; i < limit; i++)
        expect(await post(path, { user: { id: "@grace_h:localhost", password: `nope-${i}` } })).toEqual({
          status: 200,
          body: { auth: { success: false } },
        });
      expect(verifyCalls).toBe(limit);
      // Past the limit nothing is hashed any more, not even the right password, and every answer looks the same.
      verifyCalls = 0;
      const attempts = await Promise.all([
        ...Array.from({ length: 30 }, () =>
          post(path, { user: { id: "@grace_h:localhost", password: "nope" } }),
        ),
        post(path, { user: { id: "@grace_h:localhost", password: "grace-password" } }),
      ]);
      for (const attempt of attempts)
        expect(attempt).toEqual({ status: 200, body: { auth: { success: false } } });
      expect(verifyCalls).toBe(0);
    });

    it("sends the profile only when internal.restAuth.sendProfile is set", async () => {
      const result = await call(
        path,
        { user: { id: "@ada:localhost", password: "ada-password-1" } },
        { base: profileListener.url, secret: null },
      );
      expect(result.body.auth.profile).toEqual({
        display_name: "Ada Lovelace",
        three_pids: [{ medium: "email", address: "Ada@Example.org" }],
      });
    });

    it("requires the shared secret when one is set", async () => {
      const result = await call(
        path,
        { user: { id: "@ada:localhost", password: "ada-password-1" } },
        { secret: null },
      );
      expect(result.status).toBe(401);
      expect(
        (await call(path, { user: { id: "@ada:localhost", password: "x" } }, { secret: "wrong-secret" }))
          .status,
      ).toBe(401);
    });
  });

  for (const prefix of [mx, ma]) {
    describe(`mxisd/ma1sd backend under ${prefix}`, () => {
      it("auth/login: id and profile on success, success false otherwise", async () => {
        const ok = await call(`${prefix}/auth/login`, {
          auth: { mxid: "@ada:localhost", localpart: "ada", domain: "localhost", password: "ada-password-1" },
        });
        expect(ok.body).toEqual({
          auth: {
            success: true,
            id: { type: "localpart", value: "ada" },
            profile: {
              display_name: "Ada Lovelace",
              three_pids: [{ medium: "email", address: "Ada@Example.org" }],
            },
          },
        });
        expect(
          (await call(`${prefix}/auth/login`, { auth: { localpart: "ada", password: "nope" } })).body,
        ).toEqual({ auth: { success: false } });
        expect(
          (
            await call(`${prefix}/auth/login`, {
              auth: { localpart: "ada", domain: "elsewhere", password: "ada-password-1" },
            })
          ).body,
        ).toEqual({ auth: { success: false } });
        expect((await call(`${prefix}/auth/login`, { auth: { password: "x" } })).status).toBe(400);
      });

      it("directory: by name (localpart or display name, any case), by threepid, limited, and wildcards are literal", async () => {
        expect(
          (await call(`${prefix}/directory/user/search`, { by: "name", search_term: "LOVELACE" })).body,
        ).toEqual({
          limited: false,
          results: [{ avatar_url: "", display_name: "Ada Lovelace", user_id: "ada" }],
        });
        expect(
          (
            await call(`${prefix}/directory/user/search`, { by: "name", search_term: "ala" })
          ).body.results.map((r: { user_id: string }) => r.user_id),
        ).toEqual(["alan"]);
        expect(
          (
            await call(`${prefix}/directory/user/search`, {
              by: "threepid",
              search_term: "GRACE@example.org",
            })
          ).body.results,
        ).toEqual([{ avatar_url: "", display_name: "Grace Hopper", user_id: "grace_h" }]);
        // Only the whole address finds someone: a part of it would read other users' addresses letter by letter.
        for (const part of ["grace@", "example.org", "race@example.org", "%"])
          expect(
            (await call(`${prefix}/directory/user/search`, { by: "threepid", search_term: part })).body
              .results,
            part,
          ).toEqual([]);
        const many = await call(`${prefix}/directory/user/search`, { by: "name", search_term: "a" });
        expect(many.body.limited).toBe(true);
        expect(many.body.results).toHaveLength(2);
        for (const wildcard of ["%", "_", "\\"]) {
          const result = await call(`${prefix}/directory/user/search`, { by: "name", search_term: wildcard });
          expect(
            result.body.results.map((r: { user_id: string }) => r.user_id),
            wildcard,
          ).toEqual(wildcard === "_" ? ["grace_h"] : []);
        }
        expect(
          (await call(`${prefix}/directory/user/search`, { by: "name", search_term: "disabled" })).body
            .results,
        ).toEqual([]);
      });

      it("identity single and bulk (case-insensitive), with a cap on bulk", async () => {
        expect(
          (
            await call(`${prefix}/identity/single`, {
              lookup: { medium: "email", address: "ada@example.org" },
            })
          ).body,
        ).toEqual({
          lookup: { medium: "email", address: "ada@example.org", id: { type: "localpart", value: "ada" } },
        });
        expect(
          (
            await call(`${prefix}/identity/single`, {
              lookup: { medium: "email", address: "nobody@example.org" },
            })
          ).body,
        ).toEqual({});
        expect(
          (await call(`${prefix}/identity/single`, { lookup: { medium: "msisdn", address: "123" } })).body,
        ).toEqual({});
        const bulk = await call(`${prefix}/identity/bulk`, {
          lookup: [
            { medium: "email", address: "ALAN@example.org" },
            { medium: "email", address: "nobody@example.org" },
            { medium: "msisdn", address: "1" },
          ],
        });
        expect(bulk.body).toEqual({
          lookup: [
            { medium: "email", address: "ALAN@example.org", id: { type: "localpart", value: "alan" } },
          ],
        });
        const tooMany = await call(`${prefix}/identity/bulk`, {
          lookup: Array.from({ length: 11 }, (_, i) => ({ medium: "email", address: `x${i}@example.org` })),
        });
        expect(tooMany.status).toBe(400);
        expect(tooMany.body.error).toContain("at most 10");
      });

      it("profile: display name and threepids, or an empty profile", async () => {
        expect(
          (
            await call(`${prefix}/profile/displayName`, {
              mxid: "@ada:localhost",
              localpart: "ada",
              domain: "localhost",
            })
          ).body,
        ).toEqual({ profile: { display_name: "Ada Lovelace" } });
        expect((await call(`${prefix}/profile/threepids`, { localpart: "alan" })).body).toEqual({
          profile: { threepids: [{ medium: "email", address: "alan@example.org" }] },
        });
        expect((await call(`${prefix}/profile/displayName`, { localpart: "nobody" })).body).toEqual({
          profile: {},
        });
        expect((await call(`${prefix}/profile/threepids`, {})).status).toBe(400);
      });
    });
  }

  describe("bad input", () => {
    const cases: [string, string, Parameters<typeof post>[2], number][] = [
      ["malformed JSON", "/_matrix-internal/identity/v1/check_credentials", { raw: "{not json" }, 400],
      ["invalid UTF-8", "/_matrix-internal/identity/v1/check_credentials", { raw: "\u00ff" }, 400],
      ["a JSON array", "/_matrix-internal/identity/v1/check_credentials", { raw: "[]" }, 400],
      [
        "a wrong type",
        "/_matrix-internal/identity/v1/check_credentials",
        { raw: JSON.stringify({ user: { id: ["@ada:localhost"], password: "x" } }) },
        400,
      ],
      [
        "a missing field",
        "/_matrix-internal/identity/v1/check_credentials",
        { raw: JSON.stringify({ user: { id: "@ada:localhost" } }) },
        400,
      ],
      ["null", `${mx}/auth/login`, { raw: "null" }, 400],
      [
        "an unknown search kind",
        `${mx}/directory/user/search`,
        { raw: JSON.stringify({ by: "email", search_term: "x" }) },
        400,
      ],
      [
        "an array of lookups where one is expected",
        `${ma}/identity/single`,
        { raw: JSON.stringify({ lookup: [{ medium: "email", address: "a@b.c" }] }) },
        400,
      ],
      [
        "an oversized body",
        `${mx}/identity/bulk`,
        { raw: JSON.stringify({ lookup: [], pad: "x".repeat(5000) }) },
        413,
      ],
      [
        "a form body",
        `${mx}/auth/login`,
        { raw: "a=b", contentType: "application/x-www-form-urlencoded" },
        415,
      ],
    ];
    for (const [what, path, options, status] of cases) {
      it(`answers ${what} with ${status} and { errcode, error }`, async () => {
        const result = await call(path, undefined, options);
        expect(result.status).toBe(status);
        expect(result.body).toEqual({ errcode: expect.stringMatching(/^M_/), error: expect.any(String) });
      });
    }

    // One boundary check for every string field of every endpoint: PostgreSQL cannot take U+0000.
    const nul = "a\u0000b";
    const withNul: [string, unknown][] = [
      [
        "/_matrix-internal/identity/v1/check_credentials",
        { user: { id: `@${nul}:localhost`, password: "x" } },
      ],
      ["/_matrix-internal/identity/v1/check_credentials", { user: { id: "@ada:localhost", password: nul } }],
      [`${mx}/auth/login`, { auth: { localpart: nul, password: "x" } }],
      [`${ma}/auth/login`, { auth: { mxid: `@${nul}:localhost`, password: "x" } }],
      [`${mx}/directory/user/search`, { by: "name", search_term: nul }],
      [`${ma}/directory/user/search`, { by: "threepid", search_term: nul }],
      [`${mx}/identity/single`, { lookup: { medium: "email", address: nul } }],
      [
        `${ma}/identity/bulk`,
        {
          lookup: [
            { medium: "email", address: "a@b.c" },
            { medium: nul, address: "x" },
          ],
        },
      ],
      [`${mx}/profile/displayName`, { localpart: nul }],
      [`${ma}/profile/threepids`, { mxid: `@${nul}:localhost` }],
      [`${mx}/auth/login`, { auth: { password: "x", [nul]: 1 } }],
    ];
    for (const [path, body] of withNul) {
      it(`answers a NUL byte in ${path} ${JSON.stringify(body).slice(0, 60)} with 400 M_BAD_JSON`, async () => {
        const result = await call(path, body);
        expect(result.status).toBe(400);
        expect(result.body).toEqual({ errcode: "M_BAD_JSON", error: expect.stringContaining("NUL") });
      });
    }

    it("answers unknown paths with 404 M_UNRECOGNIZED", async () => {
      const result = await post("/_mxisd/backend/api/v1/nope", {});
      expect(result).toEqual({
        status: 404,
        body: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" },
      });
    });
  });

  describe("password change intercept", () => {
    const path = "/_matrix/client/v3/account/password";
    it("runs user-interactive auth with the old password, then stores the new hash", async () => {
      const first = await call(path, { new_password: "new-password-123" }, { token: hsUser.accessToken });
      expect(first.status).toBe(401);
      expect(first.body.flows).toEqual([{ stages: ["m.login.password"] }]);
      const session = first.body.session as string;
      const wrong = await call(
        path,
        {
          new_password: "new-password-123",
          auth: {
            type: "m.login.password",
            identifier: { type: "m.id.user", user: hsUser.localpart },
            password: "not-it",
            session,
          },
        },
        { token: hsUser.accessToken },
      );
      expect(wrong.status).toBe(401);
      expect(wrong.body.errcode).toBe("M_FORBIDDEN");
      const weak = await call(
        path,
        {
          new_password: "short",
          auth: {
            type: "m.login.password",
            identifier: { type: "m.id.user", user: hsUser.localpart },
            password: "old-password-1",
            session,
          },
        },
        { token: hsUser.accessToken },
      );
      expect(weak).toMatchObject({ status: 400, body: { errcode: "M_WEAK_PASSWORD" } });
      const ok = await call(
        "/_matrix/client/r0/account/password",
        {
          new_password: "new-password-123",
          logout_devices: false,
          auth: {
            type: "m.login.password",
            identifier: { type: "m.id.user", user: hsUser.localpart },
            password: "old-password-1",
            session,
          },
        },
        { token: hsUser.accessToken },
      );
      expect(ok).toEqual({ status: 200, body: {} });
      const check = await call("/_matrix-internal/identity/v1/check_credentials", {
        user: { id: hsUser.userId, password: "new-password-123" },
      });
      expect(check.body.auth.success).toBe(true);
    });

    it("does not accept the session of a finished change for another change", async () => {
      const first = await call(path, {}, { token: hsUser.accessToken });
      const auth = {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: hsUser.localpart },
        password: "new-password-123",
        session: first.body.session,
      };
      const changed = await call(
        path,
        { new_password: "interim-password-1", logout_devices: false, auth },
        { token: hsUser.accessToken },
      );
      expect(changed).toEqual({ status: 200, body: {} });
      // The same session again (even with the password that is current now): a new flow starts instead.
      const replay = await call(
        path,
        {
          new_password: "hijacked-password-1",
          logout_devices: false,
          auth: { ...auth, password: "interim-password-1" },
        },
        { token: hsUser.accessToken },
      );
      expect(replay.status).toBe(401);
      expect(replay.body.session).not.toBe(first.body.session);
      expect(replay.body.errcode).toBeUndefined();
      const back = await call(
        path,
        {
          new_password: "new-password-123",
          logout_devices: false,
          auth: { ...auth, password: "interim-password-1", session: replay.body.session },
        },
        { token: hsUser.accessToken },
      );
      expect(back).toEqual({ status: 200, body: {} });
    });

    it("throttles wrong current passwords like failed logins", async () => {
      const other = await registerUser(synapse);
      const now = new Date();
      await createLocalAccount(db.db, {
        localpart: other.localpart,
        email: null,
        displayName: null,
        passwordHash: await hasher.hash("right-password-1"),
        requestId: null as unknown as number,
        now,
      });
      const session = (await call(path, {}, { token: other.accessToken })).body.session as string;
      const attempt = (password: string) =>
        call(
          path,
          {
            new_password: "changed-password-1",
            auth: { type: "m.login.password", user: other.localpart, password, session },
          },
          { token: other.accessToken },
        );
      for (let i = 0; i < 10; i++) expect((await attempt(`wrong-${i}`)).body.errcode).toBe("M_FORBIDDEN");
      verifyCalls = 0;
      const blocked = await attempt("right-password-1");
      expect(blocked.status).toBe(401);
      expect(blocked.body.errcode).toBe("M_FORBIDDEN");
      expect(verifyCalls).toBe(0);
    });

    it("refuses a missing or unknown token and a forged session", async () => {
      expect((await post(path, {}, { secret: null })).status).toBe(401);
      expect((await call(path, {}, { token: "not-a-token" })).body.errcode).toBe("M_UNKNOWN_TOKEN");
      const forged = await call(
        path,
        {
          new_password: "x".repeat(12),
          auth: { type: "m.login.password", password: "new-password-123", session: "forged.123.abc" },
        },
        { token: hsUser.accessToken },
      );
      expect(forged.status).toBe(401);
      expect(forged.body.flows).toBeDefined();
    });

    it("logs the user's other devices out when asked", async () => {
      const other = createSynapseClient({ url: synapse.url, serverName: "localhost" });
      const second = await other.login(hsUser.localpart, hsUser.password);
      expect(second.ok).toBe(true);
      const first = await call(path, {}, { token: hsUser.accessToken });
      const result = await call(
        path,
        {
          new_password: "third-password-1",
          auth: {
            type: "m.login.password",
            user: hsUser.localpart,
            password: "new-password-123",
            session: first.body.session,
          },
        },
        { token: hsUser.accessToken },
      );
      expect(result.status).toBe(200);
      expect(await other.whoami(second.ok ? second.accessToken : "")).toBeNull();
      expect(await other.whoami(hsUser.accessToken)).toMatchObject({ userId: hsUser.userId });
    });
  });
});
