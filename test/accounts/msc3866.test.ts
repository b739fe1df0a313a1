// Registration approval (MSC3866) on a real Synapse of its own (test/support/msc3866-synapse.ts): a client-API sign-up
// with a registration token is held (403 ORG.MATRIX.MSC3866_USER_AWAITING_APPROVAL, also at login), shows up among the
// unapproved users, logs in once approved, and a declined one is deactivated. The client functions in
// src/accounts/msc3866.ts never create an account and report "nothing to approve" where Synapse has no MSC3866.
// Run under `flock /tmp/vestibule-faults.lock` (named Synapse instance).
import { randomBytes } from "node:crypto";
import { beforeAll, expect, inject, it } from "vitest";
import { discoverHomeserver } from "../../src/accounts/discovery.ts";
import { approveUser, declineUser, getPendingUser, listUnapprovedUsers } from "../../src/accounts/msc3866.ts";
import type { HttpOptions } from "../../src/homeserver/http.ts";
import { matrixRequest, type SynapseHandle } from "../support/homeserver.ts";
import { startMsc3866Synapse } from "../support/msc3866-synapse.ts";

let synapse: SynapseHandle;
let http: HttpOptions;
const main = inject("synapse");

beforeAll(async () => {
  synapse = await startMsc3866Synapse();
  http = { baseUrl: synapse.url, timeoutMs: 10_000, fetch };
}, 180_000);
// No afterAll: the instance stays up for the next run (synapse.sh reuses it while its settings are unchanged).

async function newToken(): Promise<string> {
  const created = await matrixRequest<{ token: string }>(
    synapse,
    "POST",
    "/_synapse/admin/v1/registration_tokens/new",
    {
      accessToken: synapse.adminToken,
      body: { uses_allowed: 1 },
    },
  );
  expect(created.status).toBe(200);
  return created.body.token;
}

/** Client-API registration through the UIA stages: registration token, then dummy. Returns the last answer. */
async function register(username: string, password: string) {
  const base = { username, password };
  const start = await matrixRequest(synapse, "POST", "/_matrix/client/v3/register", { body: base });
  expect(start.status).toBe(401);
  const session = start.body["session"] as string;
  const token = await newToken();
  const afterToken = await matrixRequest(synapse, "POST", "/_matrix/client/v3/register", {
    body: { ...base, auth: { type: "m.login.registration_token", token, session } },
  });
  expect(afterToken.body["completed"]).toContain("m.login.registration_token");
  return matrixRequest(synapse, "POST", "/_matrix/client/v3/register", {
    body: { ...base, auth: { type: "m.login.dummy", session } },
  });
}

function login(user: string, password: string) {
  return matrixRequest(synapse, "POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password },
  });
}

const userIdOf = (localpart: string) => `@${localpart}:${synapse.serverName}`;

it("holds a client-API sign-up for approval; approving lets it log in", async () => {
  const localpart = `held-${randomBytes(4).toString("hex")}`;
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const registered = await register(localpart, password);
  expect(registered).toMatchObject({
    status: 403,
    body: {
      errcode: "ORG.MATRIX.MSC3866_USER_AWAITING_APPROVAL",
      approval_notice_medium: "org.matrix.msc3866.none",
    },
  });
  expect(registered.body["access_token"]).toBeUndefined();
  expect((await login(localpart, password)).body["errcode"]).toBe(
    "ORG.MATRIX.MSC3866_USER_AWAITING_APPROVAL",
  );

  const waiting = await listUnapprovedUsers(http, synapse.adminToken);
  const entry = waiting.users.find((u) => u.userId === userIdOf(localpart));
  expect(entry).toMatchObject({ approved: false, deactivated: false });
  expect(entry!.createdAt!.getTime()).toBeGreaterThan(Date.now() - 10 * 60_000);
  expect(await getPendingUser(http, synapse.adminToken, userIdOf(localpart))).toMatchObject({
    approved: false,
    emails: [],
  });

  expect(await approveUser(http, synapse.adminToken, userIdOf(localpart))).toEqual({
    ok: true,
    alreadyApproved: false,
  });
  const loggedIn = await login(localpart, password);
  expect(loggedIn.status).toBe(200);
  expect(loggedIn.body["user_id"]).toBe(userIdOf(localpart));
  expect((await listUnapprovedUsers(http, synapse.adminToken)).users.map((u) => u.userId)).not.toContain(
    userIdOf(localpart),
  );
  expect(await approveUser(http, synapse.adminToken, userIdOf(localpart))).toEqual({
    ok: true,
    alreadyApproved: true,
  });
});

it("declines by deactivating: the account leaves the waiting list and cannot log in", async () => {
  const localpart = `declined-${randomBytes(4).toString("hex")}`;
  const password = `pw-${randomBytes(8).toString("hex")}`;
  expect((await register(localpart, password)).body["errcode"]).toBe(
    "ORG.MATRIX.MSC3866_USER_AWAITING_APPROVAL",
  );
  expect(await declineUser(http, synapse.adminToken, userIdOf(localpart))).toBe(true);
  expect((await listUnapprovedUsers(http, synapse.adminToken)).users.map((u) => u.userId)).not.toContain(
    userIdOf(localpart),
  );
  expect(await getPendingUser(http, synapse.adminToken, userIdOf(localpart))).toMatchObject({
    deactivated: true,
  });
  expect(await approveUser(http, synapse.adminToken, userIdOf(localpart))).toEqual({
    ok: false,
    reason: "deactivated",
  });
  const attempt = await login(localpart, password);
  expect(attempt.status).toBe(403);
  expect(attempt.body["errcode"]).not.toBe("ORG.MATRIX.MSC3866_USER_AWAITING_APPROVAL");
  expect(
    await declineUser(http, synapse.adminToken, userIdOf(`nobody-${randomBytes(4).toString("hex")}`)),
  ).toBe(false);
});

it("never creates an account when asked to approve an unknown user", async () => {
  const ghost = userIdOf(`ghost-${randomBytes(4).toString("hex")}`);
  expect(await approveUser(http, synapse.adminToken, ghost)).toEqual({ ok: false, reason: "not_found" });
  const lookup = await matrixRequest(
    synapse,
    "GET",
    `/_synapse/admin/v2/users/${encodeURIComponent(ghost)}`,
    {
      accessToken: synapse.adminToken,
    },
  );
  expect(lookup.status).toBe(404);
});

it("discovery sees MSC3866 here and not on the shared Synapse, where there is nothing to approve", async () => {
  expect((await discoverHomeserver(http, { adminToken: synapse.adminToken })).adminApi.msc3866).toBe(true);
  const plain: HttpOptions = { baseUrl: main.url, timeoutMs: 10_000, fetch };
  expect((await discoverHomeserver(plain, { adminToken: main.adminToken })).adminApi.msc3866).toBe(false);
  // Synapse without MSC3866 ignores ?approved=false and lists approved users: none of them may come back as waiting.
  expect((await listUnapprovedUsers(plain, main.adminToken, { limit: 20 })).users).toEqual([]);
  const whoami = await matrixRequest(main, "GET", "/_matrix/client/v3/account/whoami", {
    accessToken: main.adminToken,
  });
  expect(await approveUser(plain, main.adminToken, whoami.body["user_id"] as string)).toEqual({
    ok: false,
    reason: "msc3866_disabled",
  });
});
