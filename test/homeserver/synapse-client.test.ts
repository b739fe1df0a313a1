// Every Synapse client call against the real Synapse (the shared test instance).
import { createServer, type Server, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSynapseClient, type HomeserverClient } from "../../src/homeserver/index.ts";
import { matrixRequest, registerUser } from "../support/homeserver.ts";

const synapse = inject("synapse");
const name = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;
const userId = (localpart: string) => `@${localpart}:${synapse.serverName}`;

let adminClient: HomeserverClient;
let secretClient: HomeserverClient;

beforeAll(() => {
  adminClient = createSynapseClient({
    url: synapse.url,
    serverName: synapse.serverName,
    adminToken: synapse.adminToken,
    registrationSharedSecret: synapse.sharedSecret,
  });
  secretClient = createSynapseClient({
    url: synapse.url,
    serverName: synapse.serverName,
    registrationSharedSecret: synapse.sharedSecret,
  });
});

describe("health", () => {
  it("reports the version with an admin token, and a bad token as a problem", async () => {
    const ok = await adminClient.checkHealth();
    expect(ok).toMatchObject({ ok: true, version: expect.stringMatching(/^1\.\d+/) });
    const bad = createSynapseClient({ url: synapse.url, serverName: "localhost", adminToken: "not-a-token" });
    expect(await bad.checkHealth()).toEqual({ ok: false, error: "homeserver.adminToken is not accepted" });
  });

  it("reports an unreachable homeserver without throwing", async () => {
    const away = createSynapseClient({ url: "http://127.0.0.1:9", serverName: "localhost", timeoutMs: 2000 });
    const health = await away.checkHealth();
    expect(health.ok).toBe(false);
  });
});

describe("username availability", () => {
  it("answers free, taken and invalid through the admin endpoint and the client fallback", async () => {
    const taken = await registerUser(synapse);
    for (const client of [adminClient, secretClient]) {
      expect(await client.usernameAvailable(name("free"))).toEqual({ available: true });
      expect(await client.usernameAvailable(taken.localpart)).toEqual({ available: false, reason: "taken" });
      expect(await client.usernameAvailable("Not Valid")).toEqual({ available: false, reason: "invalid" });
    }
  });
});

describe("shared-secret registration", () => {
  it("creates a user, refuses a taken and an invalid name, and says clearly when the secret is wrong", async () => {
    const localpart = name("ss");
    const created = await secretClient.registerWithSharedSecret({
      localpart,
      password: "pw-123456789",
      displayname: "Shared Secret",
    });
    expect(created).toMatchObject({ ok: true, userId: userId(localpart), accessToken: expect.any(String) });
    const user = await adminClient.getUser(userId(localpart));
    expect(user).toMatchObject({
      name: userId(localpart),
      displayname: "Shared Secret",
      admin: false,
      deactivated: false,
    });
    expect(await secretClient.registerWithSharedSecret({ localpart, password: "x" })).toEqual({
      ok: false,
      reason: "taken",
    });
    expect(await secretClient.registerWithSharedSecret({ localpart: "Bad Name", password: "x" })).toEqual({
      ok: false,
      reason: "invalid",
    });
    const wrong = createSynapseClient({
      url: synapse.url,
      serverName: "localhost",
      registrationSharedSecret: "wrong",
    });
    await expect(wrong.registerWithSharedSecret({ localpart: name("x"), password: "x" })).rejects.toThrow(
      /HMAC incorrect/,
    );
    const login = await secretClient.login(localpart, "pw-123456789");
    expect(login).toMatchObject({ ok: true, userId: userId(localpart) });
  });

  it("can register without logging in", async () => {
    const result = await secretClient.registerWithSharedSecret({
      localpart: name("nologin"),
      password: "pw-1",
      inhibitLogin: true,
    });
    expect(result).toMatchObject({ ok: true, accessToken: undefined });
  });
});

describe("admin user API", () => {
  it("creates a user with display name, email 3PID and an external id; never modifies an existing one", async () => {
    const id = userId(name("adm"));
    const created = await adminClient.createUser(id, {
      password: "first-password-1",
      displayname: "Ada Lovelace",
      threepids: [{ medium: "email", address: "ada@example.org" }],
      externalIds: [{ authProvider: "vestibule", externalId: `test-${id}` }],
    });
    expect(created).toMatchObject({ created: true, user: { name: id, displayname: "Ada Lovelace" } });
    const fetched = await adminClient.getUser(id);
    expect(fetched?.threepids).toEqual([{ medium: "email", address: "ada@example.org" }]);
    expect(fetched?.externalIds).toEqual([{ authProvider: "vestibule", externalId: `test-${id}` }]);

    const again = await adminClient.createUser(id, { password: "second-password", displayname: "Changed" });
    expect(again).toEqual({ created: false, reason: "exists" });
    expect((await adminClient.getUser(id))?.displayname).toBe("Ada Lovelace");
    expect(await adminClient.login(id.slice(1).split(":")[0]!, "first-password-1")).toMatchObject({
      ok: true,
    });
  });

  it("returns null for an unknown user and updates an existing one on request", async () => {
    expect(await adminClient.getUser(userId(name("nobody")))).toBeNull();
    const user = await registerUser(synapse);
    const updated = await adminClient.updateUser(user.userId, { displayname: "Renamed" });
    expect(updated.displayname).toBe("Renamed");
  });

  it("resets a password without logging other devices out", async () => {
    const user = await registerUser(synapse);
    await adminClient.resetPassword(user.userId, "new-password-123", { logoutDevices: false });
    expect(await adminClient.login(user.localpart, "new-password-123")).toMatchObject({ ok: true });
    expect(await adminClient.login(user.localpart, user.password)).toEqual({
      ok: false,
      reason: "wrong_credentials",
    });
    expect(await adminClient.whoami(user.accessToken)).toMatchObject({ userId: user.userId });
  });

  it("joins a user to a room (admin join invites first into a private room)", async () => {
    const owner = await registerUser(synapse);
    const room = await matrixRequest(synapse, "POST", "/_matrix/client/v3/createRoom", {
      accessToken: owner.accessToken,
      body: { preset: "public_chat", room_alias_name: name("hall") },
    });
    expect(room.status).toBe(200);
    const member = await registerUser(synapse);
    const joined = await adminClient.joinRoom(String(room.body["room_id"]), member.userId);
    expect(joined.roomId).toBe(room.body["room_id"]);
    const members = await matrixRequest(
      synapse,
      "GET",
      `/_matrix/client/v3/rooms/${encodeURIComponent(joined.roomId)}/joined_members`,
      {
        accessToken: owner.accessToken,
      },
    );
    expect(Object.keys(members.body["joined"] as object)).toContain(member.userId);
  });

  it("joins as the user and sets a display name with the user's own token", async () => {
    const owner = await registerUser(synapse);
    const alias = name("public");
    const room = await matrixRequest(synapse, "POST", "/_matrix/client/v3/createRoom", {
      accessToken: owner.accessToken,
      body: { preset: "public_chat", room_alias_name: alias },
    });
    const user = await registerUser(synapse);
    expect(await adminClient.joinRoomAsUser(user.accessToken, `#${alias}:${synapse.serverName}`)).toEqual({
      roomId: room.body["room_id"],
    });
    await adminClient.setDisplayName(user.accessToken, user.userId, "Self Named");
    expect((await adminClient.getUser(user.userId))?.displayname).toBe("Self Named");
  });
});

describe("registration tokens", () => {
  it("creates, lists, reads and deletes tokens; unknown tokens are null/false", async () => {
    const token = name("tok").replace(/-/g, "_");
    const expiry = Date.now() + 3_600_000;
    const created = await adminClient.createRegistrationToken({ token, usesAllowed: 1, expiryTime: expiry });
    expect(created).toEqual({ token, usesAllowed: 1, pending: 0, completed: 0, expiryTime: expiry });
    expect((await adminClient.listRegistrationTokens({ valid: true })).map((t) => t.token)).toContain(token);
    expect(await adminClient.getRegistrationToken(token)).toEqual(created);
    expect(await adminClient.registrationTokenValid(token)).toBe(true);
    expect(await adminClient.deleteRegistrationToken(token)).toBe(true);
    expect(await adminClient.getRegistrationToken(token)).toBeNull();
    expect(await adminClient.deleteRegistrationToken(token)).toBe(false);
    expect(await adminClient.registrationTokenValid(token)).toBe(false);
  });

  it("generates a token of the asked length", async () => {
    const created = await adminClient.createRegistrationToken({ length: 24, usesAllowed: 1 });
    expect(created.token).toMatch(/^[A-Za-z0-9._~-]{24}$/);
    await adminClient.deleteRegistrationToken(created.token);
  });

  it("refuses a duplicate token as rejected", async () => {
    const created = await adminClient.createRegistrationToken({ usesAllowed: 1 });
    await expect(adminClient.createRegistrationToken({ token: created.token })).rejects.toMatchObject({
      code: "rejected",
    });
    await adminClient.deleteRegistrationToken(created.token);
  });

  it("completes MSC3231 registration with a token, and counts the use", async () => {
    const token = await adminClient.createRegistrationToken({ usesAllowed: 1 });
    const username = name("tokenuser");
    const registered = await adminClient.registerWithToken({
      username,
      password: "token-password-1",
      token: token.token,
    });
    expect(registered).toMatchObject({ ok: true, userId: userId(username) });
    expect(await adminClient.getRegistrationToken(token.token)).toMatchObject({ completed: 1, pending: 0 });
    const usedUp = await adminClient.registerWithToken({
      username: name("second"),
      password: "token-password-1",
      token: token.token,
    });
    expect(usedUp).toEqual({ ok: false, reason: "token_invalid" });
    expect(
      await adminClient.registerWithToken({
        username: name("x"),
        password: "pw-pw-pw-1",
        token: "no-such-token",
      }),
    ).toEqual({ ok: false, reason: "token_invalid" });
    const another = await adminClient.createRegistrationToken({ usesAllowed: 1 });
    expect(
      await adminClient.registerWithToken({ username, password: "pw-pw-pw-1", token: another.token }),
    ).toEqual({ ok: false, reason: "taken" });
    await adminClient.deleteRegistrationToken(another.token);
  });
});

describe("password change with the old password", () => {
  it("changes the password through user-interactive auth and refuses a wrong old password", async () => {
    const user = await registerUser(synapse);
    expect(
      await adminClient.changePasswordWithOldPassword({
        accessToken: user.accessToken,
        userId: user.userId,
        oldPassword: "wrong",
        newPassword: "n-e-w-1234",
        logoutDevices: false,
      }),
    ).toEqual({ ok: false, reason: "wrong_password" });
    expect(
      await adminClient.changePasswordWithOldPassword({
        accessToken: user.accessToken,
        userId: user.userId,
        oldPassword: user.password,
        newPassword: "n-e-w-1234",
        logoutDevices: false,
      }),
    ).toEqual({ ok: true });
    expect(await adminClient.login(user.localpart, "n-e-w-1234")).toMatchObject({ ok: true });
    expect(await adminClient.whoami(user.accessToken)).toMatchObject({ userId: user.userId });
  });
});

describe("failures", () => {
  let silent: Server;
  let port: number;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never answers: every call must end at the timeout.
    silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it("times out a homeserver that does not answer", async () => {
    const slow = createSynapseClient({
      url: `http://127.0.0.1:${port}`,
      serverName: "localhost",
      adminToken: "x",
      timeoutMs: 300,
    });
    const started = Date.now();
    await expect(slow.getUser("@a:localhost")).rejects.toMatchObject({
      code: "unavailable",
      detail: { timeout: true },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("maps a closed port to unavailable", async () => {
    const closed = createSynapseClient({
      url: "http://127.0.0.1:9",
      serverName: "localhost",
      adminToken: "x",
    });
    await expect(closed.usernameAvailable("someone")).rejects.toMatchObject({ code: "unavailable" });
  });

  it("maps a non-admin token to forbidden", async () => {
    const user = await registerUser(synapse);
    const notAdmin = createSynapseClient({
      url: synapse.url,
      serverName: "localhost",
      adminToken: user.accessToken,
    });
    await expect(notAdmin.listRegistrationTokens()).rejects.toMatchObject({
      code: "forbidden",
      detail: { status: 403, errcode: "M_FORBIDDEN" },
    });
  });
});
