// The MAS admin client against the MAS stand-in (test/support/mas-standin.ts — MAS itself cannot be installed here):
// users with display name, duplicates, emails, passwords that a login then accepts, deactivation and locks,
// registration tokens, token refresh ahead of expiry (single-flight) and after a revocation, and the errors an
// operator would see for wrong credentials, a client MAS does not list as admin, or MAS being away.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMasAdminClient,
  masAdminClientFor,
  type MasAdminClient,
} from "../../src/accounts/mas/client.ts";
import { clientCredentialsTokenSource, type MasLog } from "../../src/accounts/mas/token.ts";
import { AppError } from "../../src/errors.ts";
import { startMasStandin, type MasStandin } from "../support/mas-standin.ts";

const admin = { clientId: "01J44RKQYM4G3TNVANTMTDYTX6", clientSecret: "s3cret-admin-client-value" };
const notAdmin = { clientId: "01J44RKQYM4G3TNVANTMTDYTX9", clientSecret: "s3cret-other-client-value" };

let mas: MasStandin;
let client: MasAdminClient;
const logged: string[] = [];
const log: MasLog = {
  debug: (object, message) => logged.push(JSON.stringify({ ...object, message })),
  warn: (object, message) => logged.push(JSON.stringify({ ...object, message })),
};

beforeAll(async () => {
  mas = await startMasStandin({
    clients: [admin, notAdmin],
    adminClients: [admin.clientId],
    // The homeserver's word on names, as MAS asks Synapse before creating a user.
    isLocalpartAvailable: (localpart) => !localpart.startsWith("taken-on-hs"),
    passwordStrongEnough: (p) => p.length >= 12,
  });
  client = masAdminClientFor({ url: mas.url, ...admin }, { log });
});
afterAll(async () => {
  await mas?.close();
});

const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function expectAppError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("users", () => {
  it("creates a user with a display name, and finds it by ID and by username", async () => {
    const username = unique("ada");
    const created = await client.createUser({ username, displayname: "Ada Lovelace" });
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    expect(created.user).toMatchObject({ username, lockedAt: null, deactivatedAt: null, admin: false });
    expect(created.user.createdAt).toBeInstanceOf(Date);
    expect(mas.userByUsername(username)?.displayname).toBe("Ada Lovelace");
    expect(await client.getUser(created.user.id)).toEqual(created.user);
    expect(await client.getUserByUsername(username)).toEqual(created.user);
    expect(await client.getUserByUsername(unique("nobody"))).toBeNull();
    expect(await client.getUser("01ARZ3NDEKTSV4RRFFQ69G5FAV")).toBeNull();
  });

  it("answers a taken, a reserved and an invalid name as values, and creates nothing for them", async () => {
    const username = unique("dup");
    expect((await client.createUser({ username })).ok).toBe(true);
    expect(await client.createUser({ username, displayname: "Someone Else" })).toEqual({
      ok: false,
      reason: "exists",
    });
    expect(mas.userByUsername(username)?.displayname).toBeNull();
    expect(await client.createUser({ username: unique("taken-on-hs") })).toEqual({
      ok: false,
      reason: "reserved",
    });
    expect(await client.createUser({ username: "_appservice" })).toEqual({ ok: false, reason: "invalid" });
    expect(
      mas.users().some((u) => u.username.startsWith("taken-on-hs") || u.username === "_appservice"),
    ).toBe(false);
  });

  it("pages through users with a cursor", async () => {
    const prefix = unique("pg");
    for (const n of [1, 2, 3]) await client.createUser({ username: `${prefix}-${n}` });
    const first = await client.listUsers({ search: prefix }, { first: 2 });
    expect(first.count).toBe(3);
    expect(first.items.map((u) => u.username)).toEqual([`${prefix}-1`, `${prefix}-2`]);
    expect(first.nextCursor).toBe(first.items[1]!.id);
    const second = await client.listUsers({ search: prefix }, { first: 2, after: first.nextCursor! });
    expect(second.items.map((u) => u.username)).toEqual([`${prefix}-3`]);
    expect(second.nextCursor).toBeUndefined();
  });

  it("sets a password that MAS's login then accepts, and refuses a weak one without changing it", async () => {
    const username = unique("pw");
    const created = await client.createUser({ username });
    if (!created.ok) throw new Error("not created");
    const password = "correct horse battery staple";
    expect(await client.setPassword(created.user.id, password)).toEqual({ ok: true });
    expect(mas.checkPassword(username, password)).toBe(true);
    // The compatibility login a Matrix client would use on a MAS-delegated homeserver.
    const login = await fetch(`${mas.url}/_matrix/client/v3/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: username },
        password,
      }),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user_id: string }).user_id).toBe(`@${username}:localhost`);

    expect(await client.setPassword(created.user.id, "short")).toEqual({ ok: false, reason: "weak" });
    expect(mas.checkPassword(username, password)).toBe(true);
    const missing = await expectAppError(client.setPassword("01ARZ3NDEKTSV4RRFFQ69G5FAV", password));
    expect(missing.code).toBe("not_found");
  });

  it("locks, unlocks and deactivates, and a deactivated user cannot log in", async () => {
    const username = unique("deact");
    const created = await client.createUser({ username });
    if (!created.ok) throw new Error("not created");
    await client.setPassword(created.user.id, "a long enough password");
    const locked = await client.lockUser(created.user.id);
    expect(locked?.lockedAt).toBeInstanceOf(Date);
    expect((await client.unlockUser(created.user.id))?.lockedAt).toBeNull();
    const deactivated = await client.deactivateUser(created.user.id);
    expect(deactivated?.deactivatedAt).toBeInstanceOf(Date);
    expect(
      (await client.listUsers({ status: "deactivated", search: username })).items.map((u) => u.id),
    ).toEqual([created.user.id]);
    const login = await fetch(`${mas.url}/_matrix/client/v3/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: username },
        password: "a long enough password",
      }),
    });
    expect(login.status).toBe(403);
    expect(await client.deactivateUser("01ARZ3NDEKTSV4RRFFQ69G5FAV")).toBeNull();
  });
});

describe("emails", () => {
  it("adds an email, refuses it for a second user and refuses an invalid one, lists and deletes", async () => {
    const one = await client.createUser({ username: unique("mail1") });
    const two = await client.createUser({ username: unique("mail2") });
    if (!one.ok || !two.ok) throw new Error("not created");
    const address = `${unique("ada")}@example.org`;
    const added = await client.addEmail(one.user.id, address);
    expect(added).toMatchObject({ ok: true, email: { userId: one.user.id, email: address } });
    expect(await client.addEmail(two.user.id, address)).toEqual({ ok: false, reason: "in_use" });
    expect(await client.addEmail(two.user.id, "not an email")).toEqual({ ok: false, reason: "invalid" });
    const listed = await client.listEmails({ userId: one.user.id });
    expect(listed.items.map((e) => e.email)).toEqual([address]);
    expect(mas.emailsOf(two.user.id)).toEqual([]);
    if (!added.ok) return;
    expect(await client.deleteEmail(added.email.id)).toBe(true);
    expect(await client.deleteEmail(added.email.id)).toBe(false);
    expect(mas.emailsOf(one.user.id)).toEqual([]);
    const noUser = await expectAppError(client.addEmail("01ARZ3NDEKTSV4RRFFQ69G5FAV", address));
    expect(noUser.code).toBe("not_found");
  });
});

describe("registration tokens", () => {
  it("creates a single-use token, refuses its twin, and revokes it idempotently", async () => {
    const value = unique("invite");
    const created = await client.createRegistrationToken({
      token: value,
      usageLimit: 1,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    expect(created).toMatchObject({
      ok: true,
      token: { token: value, valid: true, usageLimit: 1, timesUsed: 0 },
    });
    expect(await client.createRegistrationToken({ token: value })).toEqual({ ok: false, reason: "exists" });
    if (!created.ok) return;
    const revoked = await client.revokeRegistrationToken(created.token.id);
    expect(revoked).toMatchObject({ valid: false, revokedAt: expect.any(Date) });
    expect(await client.revokeRegistrationToken(created.token.id)).toEqual(revoked);
    expect(mas.redeemRegistrationToken(value)).toBe(false);
    expect(
      (await client.listRegistrationTokens({ revoked: true }, { first: 100 })).items.map((t) => t.id),
    ).toContain(created.token.id);
    expect((await client.unrevokeRegistrationToken(created.token.id))?.valid).toBe(true);
    expect(mas.redeemRegistrationToken(value)).toBe(true);
    expect((await client.getRegistrationToken(created.token.id))?.valid).toBe(false);
    expect(await client.revokeRegistrationToken("01ARZ3NDEKTSV4RRFFQ69G5FAV")).toBeNull();
  });

  it("creates a personal session for a user, with the scope asked for", async () => {
    const created = await client.createUser({ username: unique("bot") });
    if (!created.ok) throw new Error("not created");
    const session = await client.createPersonalSession({
      actorUserId: created.user.id,
      humanName: "Vestibule room joins",
      scopes: ["urn:synapse:admin:*", "urn:matrix:client:api:*"],
      expiresInSeconds: 600,
    });
    expect(session).toMatchObject({
      actorUserId: created.user.id,
      scope: ["urn:synapse:admin:*", "urn:matrix:client:api:*"],
    });
    expect(session.accessToken).toMatch(/^mpt_/);
    expect(session.expiresAt!.getTime()).toBeGreaterThan(Date.now());
  });
});

describe("tokens", () => {
  it("refreshes the admin token before it expires, once for many waiting calls", async () => {
    const standin = await startMasStandin({
      clients: [admin],
      adminClients: [admin.clientId],
      accessTokenTtlSeconds: 30,
    });
    try {
      let clock = Date.now();
      const refreshes: number[] = [];
      const tokens = clientCredentialsTokenSource({
        issuer: standin.issuer,
        ...admin,
        scopes: ["urn:mas:admin"],
        now: () => clock,
        onRefresh: (info) => refreshes.push(info.expiresInSeconds),
      });
      const c = createMasAdminClient({ url: standin.url, tokens });
      await c.listUsers();
      expect(refreshes).toEqual([30]);
      const firstToken = standin.lastIssuedToken()!;
      await c.listUsers();
      expect(standin.tokenRequests).toHaveLength(1);

      // 20 s of a 30 s token: still valid at MAS, but inside the refresh margin.
      clock += 20_000;
      await Promise.all([
        c.listUsers(),
        c.listUsers(),
        c.listUsers(),
        c.createUser({ username: unique("sf") }),
      ]);
      expect(standin.tokenRequests.map((r) => r.status)).toEqual([200, 200]);
      expect(refreshes).toEqual([30, 30]);
      expect(standin.lastIssuedToken()).not.toBe(firstToken);
    } finally {
      await standin.close();
    }
  });

  it("never uses a token past its expiry: after the stand-in reports it expired, the next call gets a new one", async () => {
    const standin = await startMasStandin({
      clients: [admin],
      adminClients: [admin.clientId],
      accessTokenTtlSeconds: 1,
    });
    try {
      const c = masAdminClientFor({ url: standin.url, ...admin });
      await c.listUsers();
      const first = standin.lastIssuedToken()!;
      await standin.tokenExpired(first);
      await c.listUsers();
      expect(standin.tokenRequests).toHaveLength(2);
      expect(standin.lastIssuedToken()).not.toBe(first);
    } finally {
      await standin.close();
    }
  });

  it("gets a new token when MAS refuses the current one, and the call goes through", async () => {
    await client.listUsers();
    const before = mas.tokenRequests.length;
    mas.revokeAllTokens();
    expect((await client.createUser({ username: unique("after-revoke") })).ok).toBe(true);
    expect(mas.tokenRequests.length).toBe(before + 1);
  });

  it("authenticates with client_secret_post when the client is configured for it", async () => {
    const standin = await startMasStandin({
      clients: [{ ...admin, authMethod: "client_secret_post" }],
      adminClients: [admin.clientId],
    });
    try {
      const c = masAdminClientFor({ url: standin.url, ...admin, authMethod: "client_secret_post" });
      expect((await c.checkHealth()).ok).toBe(true);
      const basic = masAdminClientFor({ url: standin.url, ...admin });
      expect(await basic.checkHealth()).toMatchObject({
        ok: false,
        error: expect.stringContaining("invalid_client"),
      });
    } finally {
      await standin.close();
    }
  });
});

describe("errors", () => {
  it("says clearly that the client secret is wrong, without the secret", async () => {
    const wrong = masAdminClientFor({
      url: mas.url,
      clientId: admin.clientId,
      clientSecret: "not-the-secret-value",
    });
    const error = await expectAppError(wrong.listUsers());
    expect(error.code).toBe("config");
    expect(error.message).toContain("invalid_client");
    expect(error.message).toContain(admin.clientId);
    expect(JSON.stringify({ message: error.message, detail: error.detail })).not.toContain(
      "not-the-secret-value",
    );
  });

  it("says that a client MAS does not list as admin client gets no admin scope", async () => {
    const other = masAdminClientFor({ url: mas.url, ...notAdmin });
    const error = await expectAppError(other.listUsers());
    expect(error.code).toBe("config");
    expect(error.message).toContain("policy.data.admin_clients");
  });

  it("names a wrong issuer, and an issuer with no OpenID configuration", async () => {
    const elsewhere = masAdminClientFor({ url: mas.url, issuer: `${mas.url}/nothing-here/`, ...admin });
    expect((await expectAppError(elsewhere.listUsers())).code).toBe("config");
  });

  it("maps MAS failing, going away and an unknown conflict to AppError codes", async () => {
    await client.listUsers();
    const onUsers = (method: string, path: string) => method === "POST" && path === "/api/admin/v1/users";
    mas.intercept(onUsers, { status: 503, body: { errors: [{ title: "database unavailable" }] } });
    expect((await expectAppError(client.createUser({ username: unique("x") }))).code).toBe("unavailable");
    mas.intercept(onUsers, "drop");
    expect((await expectAppError(client.createUser({ username: unique("x") }))).code).toBe("unavailable");
    mas.intercept(onUsers, { status: 409, body: { errors: [{ title: "Something new" }] } });
    const conflict = await expectAppError(client.createUser({ username: unique("x") }));
    expect(conflict).toMatchObject({ code: "conflict", detail: { status: 409, titles: ["Something new"] } });
    mas.intercept(onUsers, { status: 201, body: { data: { type: "user", id: "not-a-ulid" } } });
    expect((await expectAppError(client.createUser({ username: unique("x") }))).code).toBe("internal");
    const unreachable = masAdminClientFor({ url: "http://127.0.0.1:9", ...admin });
    expect((await expectAppError(unreachable.listUsers())).code).toBe("unavailable");
  });

  it("logged nothing secret: no client secret, no access token, no password", () => {
    expect(logged.length).toBeGreaterThan(0);
    const all = logged.join("\n");
    expect(all).not.toContain(admin.clientSecret);
    expect(all).not.toMatch(/mat_[A-Za-z0-9]/);
    expect(all).not.toContain("correct horse");
  });
});
