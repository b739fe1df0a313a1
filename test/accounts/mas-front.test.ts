// The MAS-delegated homeserver front (test/support/mas-front.ts) in front of the shared real Synapse: it answers
// auth_metadata like a Synapse with MAS enabled, hides what such a Synapse does not route — each of which the real
// Synapse behind it does answer — refuses client registration as Synapse does, and still lets the v2 admin PUT
// create a user (the trap). With the MAS stand-in, /login reaches MAS as a reverse proxy would send it.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { masAdminClientFor } from "../../src/accounts/mas/client.ts";
import { matrixRequest } from "../support/homeserver.ts";
import { startMasFront, type MasFront } from "../support/mas-front.ts";
import { startMasStandin, type MasStandin } from "../support/mas-standin.ts";

const synapse = inject("synapse");
let front: MasFront;
let mas: MasStandin;
let frontWithMas: MasFront;
const adminClient = { clientId: "01J44RKQYM4G3TNVANTMTDYTX6", clientSecret: "front-test-secret" };

beforeAll(async () => {
  front = await startMasFront({ upstream: synapse.url, issuer: "https://auth.example.org/" });
  mas = await startMasStandin({ clients: [adminClient], adminClients: [adminClient.clientId] });
  frontWithMas = await startMasFront({ upstream: synapse.url, issuer: mas.issuer, mas: mas.url });
});
afterAll(async () => {
  await front?.close();
  await frontWithMas?.close();
  await mas?.close();
});

it("answers auth_metadata (stable and MSC2965) and auth_issuer, which the Synapse behind it does not", async () => {
  for (const path of [
    "/_matrix/client/v1/auth_metadata",
    "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata",
  ]) {
    const response = await fetch(`${front.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toContain("max-age=600");
    expect(((await response.json()) as { issuer: string }).issuer).toBe("https://auth.example.org/");
    expect((await matrixRequest(synapse, "GET", path)).body["errcode"]).toBe("M_UNRECOGNIZED");
  }
  const issuer = await matrixRequest(front, "GET", "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer");
  expect(issuer).toEqual({ status: 200, body: { issuer: "https://auth.example.org/" } });
  // Everything else is the real Synapse.
  const versions = await matrixRequest(front, "GET", "/_matrix/client/versions");
  expect(versions.status).toBe(200);
  expect(versions.body["versions"]).toContain("v1.1");
});

it("hides what Synapse does not route under MAS, each of which the real Synapse answers", async () => {
  // Every probe below is harmless on the real Synapse: read-only, refused for want of a token, or about a user
  // that does not exist.
  const admin = { accessToken: synapse.adminToken };
  const ghost = encodeURIComponent(`@ghost-${randomBytes(4).toString("hex")}:${synapse.serverName}`);
  const adminId = encodeURIComponent(
    ((await matrixRequest(synapse, "GET", "/_matrix/client/v3/account/whoami", admin)).body[
      "user_id"
    ] as string) ?? "",
  );
  const probes: [string, string, { accessToken?: string; body?: unknown }][] = [
    ["GET", "/_matrix/client/v3/register/available?username=somebody-free", {}],
    ["GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=abc", {}],
    ["POST", "/_matrix/client/v3/register/email/requestToken", { body: {} }],
    ["GET", "/_matrix/client/v3/login", {}],
    // Without a token: the real Synapse answers 401 (routed) and nothing is logged out. Never send the shared
    // admin token to /logout, /account/* or /delete_devices here: Synapse would act on it.
    ["POST", "/_matrix/client/v3/logout", {}],
    ["POST", "/_matrix/client/v3/account/password", { body: {} }],
    ["POST", "/_matrix/client/v3/account/deactivate", { body: {} }],
    ["POST", "/_matrix/client/v3/account/3pid/add", { body: {} }],
    ["POST", "/_matrix/client/v3/delete_devices", { body: {} }],
    ["GET", "/_synapse/admin/v1/register", {}],
    ["GET", "/_synapse/admin/v1/registration_tokens", admin],
    ["GET", "/_synapse/admin/v1/registration_tokens/no-such-token", admin],
    ["POST", `/_synapse/admin/v1/reset_password/${ghost}`, { ...admin, body: {} }],
    ["POST", "/_synapse/admin/v1/account_validity/validity", { ...admin, body: { user_id: "@x:localhost" } }],
    ["GET", `/_synapse/admin/v1/users/${adminId}/admin`, admin],
    ["POST", `/_synapse/admin/v1/users/${ghost}/login`, { ...admin, body: {} }],
  ];
  for (const [method, path, options] of probes) {
    const behind = await matrixRequest(synapse, method, path, options);
    expect(behind.body["errcode"], `${method} ${path} on Synapse`).not.toBe("M_UNRECOGNIZED");
    const hidden = await matrixRequest(front, method, path, options);
    expect(hidden, `${method} ${path} through the front`).toEqual({
      status: 404,
      body: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" },
    });
  }
  // Still routed under MAS: the admin username check and server version.
  expect(
    (await matrixRequest(front, "GET", "/_synapse/admin/v1/username_available?username=free-one", admin))
      .status,
  ).toBe(200);
  expect((await matrixRequest(front, "GET", "/_synapse/admin/v1/server_version")).status).toBe(200);
});

it("refuses client registration as Synapse does under MAS, where Synapse itself would start the flow", async () => {
  const body = { username: `reg-${randomBytes(4).toString("hex")}`, password: "irrelevant-password" };
  expect((await matrixRequest(synapse, "POST", "/_matrix/client/v3/register", { body })).status).toBe(401);
  expect(await matrixRequest(front, "POST", "/_matrix/client/v3/register", { body })).toEqual({
    status: 403,
    body: {
      errcode: "M_FORBIDDEN",
      error: "Registration has been disabled. Only m.login.application_service registrations are allowed.",
    },
  });
});

it("still lets PUT /_synapse/admin/v2/users create a Synapse account: the trap", async () => {
  const userId = `@trap-${randomBytes(4).toString("hex")}:${synapse.serverName}`;
  const path = `/_synapse/admin/v2/users/${encodeURIComponent(userId)}`;
  const created = await matrixRequest(front, "PUT", path, {
    accessToken: synapse.adminToken,
    body: { displayname: "Nobody in MAS" },
  });
  expect(created.status).toBe(201);
  expect((await matrixRequest(synapse, "GET", path, { accessToken: synapse.adminToken })).body["name"]).toBe(
    userId,
  );
});

it("with the MAS stand-in: serves MAS's metadata and sends /login to MAS, which knows the password MAS set", async () => {
  const metadata = await matrixRequest(frontWithMas, "GET", "/_matrix/client/v1/auth_metadata");
  expect(metadata.body["issuer"]).toBe(mas.issuer);
  expect(metadata.body["token_endpoint"]).toBe(`${mas.url}/oauth2/token`);

  const client = masAdminClientFor({ url: mas.url, ...adminClient });
  const username = `front-${randomBytes(4).toString("hex")}`;
  const created = await client.createUser({ username });
  if (!created.ok) throw new Error("not created");
  await client.setPassword(created.user.id, "a password long enough");
  const login = await matrixRequest(frontWithMas, "POST", "/_matrix/client/v3/login", {
    body: {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: username },
      password: "a password long enough",
    },
  });
  expect(login.status).toBe(200);
  expect(login.body["user_id"]).toBe(`@${username}:localhost`);
  const wrong = await matrixRequest(frontWithMas, "POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user: username }, password: "wrong" },
  });
  expect(wrong.body["errcode"]).toBe("M_FORBIDDEN");
});
