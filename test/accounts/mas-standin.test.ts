// The MAS stand-in answers like MAS's documentation says MAS does: OAuth client authentication and scope policy,
// admin API authentication errors, JSON:API pages and conflicts. Raw HTTP here, so the shapes are checked without
// Vestibule's client in between (mas-client.test.ts covers the client).
import { afterAll, beforeAll, expect, it } from "vitest";
import { startMasStandin, type MasStandin } from "../support/mas-standin.ts";

let mas: MasStandin;
const admin = { clientId: "01J44RKQYM4G3TNVANTMTDYTX6", clientSecret: "admin-secret" };
const poster = { clientId: "01J44RKQYM4G3TNVANTMTDYTX7", clientSecret: "post-secret" };
const plain = { clientId: "01J44RKQYM4G3TNVANTMTDYTX8", clientSecret: "plain-secret" };

beforeAll(async () => {
  mas = await startMasStandin({
    clients: [admin, { ...poster, authMethod: "client_secret_post" }, plain],
    adminClients: [admin.clientId, poster.clientId],
  });
});
afterAll(async () => {
  await mas?.close();
});

const basic = (c: { clientId: string; clientSecret: string }) =>
  `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString("base64")}`;

async function token(form: Record<string, string>, authorization?: string) {
  const response = await fetch(`${mas.url}/oauth2/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(authorization ? { authorization } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, any>,
    headers: response.headers,
  };
}

async function api(method: string, path: string, accessToken: string | undefined, body?: unknown) {
  const response = await fetch(`${mas.url}/api/admin/v1${path}`, {
    method,
    headers: {
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Record<string, any> };
}

async function adminToken(): Promise<string> {
  const answer = await token({ grant_type: "client_credentials", scope: "urn:mas:admin" }, basic(admin));
  expect(answer.status).toBe(200);
  return answer.body["access_token"] as string;
}

it("publishes the token endpoint in its OpenID configuration, under its issuer", async () => {
  const response = await fetch(`${mas.url}/.well-known/openid-configuration`);
  const body = (await response.json()) as Record<string, any>;
  expect(body["issuer"]).toBe(mas.issuer);
  expect(body["token_endpoint"]).toBe(`${mas.url}/oauth2/token`);
  expect(body["grant_types_supported"]).toContain("client_credentials");
});

it("issues client-credentials tokens with the client's own authentication method only", async () => {
  const ok = await token({ grant_type: "client_credentials", scope: "urn:mas:admin" }, basic(admin));
  expect(ok.body).toMatchObject({ token_type: "Bearer", expires_in: 300, scope: "urn:mas:admin" });
  expect(ok.body["access_token"]).toMatch(/^mat_/);
  expect(ok.body["refresh_token"]).toBeUndefined();
  expect(ok.headers.get("cache-control")).toBe("no-store");

  const post = await token({
    grant_type: "client_credentials",
    scope: "urn:mas:admin",
    client_id: poster.clientId,
    client_secret: poster.clientSecret,
  });
  expect(post.status).toBe(200);
  // The same client through Basic: not its configured method.
  expect((await token({ grant_type: "client_credentials" }, basic(poster))).body["error"]).toBe(
    "invalid_client",
  );
  const wrong = await token({ grant_type: "client_credentials" }, basic({ ...admin, clientSecret: "nope" }));
  expect(wrong).toMatchObject({ status: 401, body: { error: "invalid_client" } });
  const unsupported = await token({ grant_type: "password" }, basic(admin));
  expect(unsupported).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });
});

it("grants urn:mas:admin only to admin clients, and urn:synapse:admin:* to no client_credentials token", async () => {
  const notListed = await token({ grant_type: "client_credentials", scope: "urn:mas:admin" }, basic(plain));
  expect(notListed).toMatchObject({
    status: 403,
    body: { error: "invalid_scope", error_description: "scope 'urn:mas:admin' not allowed" },
  });
  const synapse = await token(
    { grant_type: "client_credentials", scope: "urn:mas:admin urn:synapse:admin:*" },
    basic(admin),
  );
  expect(synapse).toMatchObject({
    status: 403,
    body: { error_description: "scope 'urn:synapse:admin:*' not allowed" },
  });
  // A token without the admin scope is refused by the admin API, as MAS's CallContext does.
  const graphql = await token({ grant_type: "client_credentials", scope: "urn:mas:graphql:*" }, basic(plain));
  expect(graphql.status).toBe(200);
  expect(await api("GET", "/users", graphql.body["access_token"] as string)).toEqual({
    status: 401,
    body: { errors: [{ title: "Missing urn:mas:admin scope" }] },
  });
  expect(await api("GET", "/users", undefined)).toEqual({
    status: 400,
    body: { errors: [{ title: "Missing authorization header" }] },
  });
  expect((await api("GET", "/users", "mat_unknown_token")).body).toEqual({
    errors: [{ title: "Unknown access token" }],
  });
});

it("pages users by cursor, JSON:API style, and refuses duplicates and bad names like MAS", async () => {
  const bearer = await adminToken();
  const prefix = `page${Date.now().toString(36)}`;
  for (const n of [1, 2, 3]) {
    const created = await api("POST", "/users", bearer, { username: `${prefix}-${n}` });
    expect(created.status).toBe(201);
    expect(created.body["data"]).toMatchObject({
      type: "user",
      attributes: { username: `${prefix}-${n}`, locked_at: null },
    });
    expect(created.body["data"].id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(created.body["links"].self).toBe(`/api/admin/v1/users/${created.body["data"].id}`);
  }
  expect(await api("POST", "/users", bearer, { username: `${prefix}-1` })).toEqual({
    status: 409,
    body: { errors: [{ title: "User already exists" }] },
  });
  expect((await api("POST", "/users", bearer, { username: "Not Valid" })).body).toEqual({
    errors: [{ title: "Username is not valid" }],
  });

  const first = await api("GET", `/users?filter[search]=${prefix}&page[first]=2`, bearer);
  expect(first.body["meta"]).toEqual({ count: 3 });
  expect(first.body["data"]).toHaveLength(2);
  const next = first.body["links"].next as string;
  expect(next).toContain("page[after]=");
  const second = await api("GET", next.replace("/api/admin/v1", ""), bearer);
  expect(second.body["data"].map((u: any) => u.attributes.username as string)).toEqual([`${prefix}-3`]);
  expect(second.body["links"].next).toBeUndefined();
  expect((await api("GET", "/users?page[first]=1&page[last]=1", bearer)).status).toBe(400);
});

it("refuses a registration token that exists, and a second revoke", async () => {
  const bearer = await adminToken();
  const created = await api("POST", "/user-registration-tokens", bearer, {
    token: `t-${Date.now()}`,
    usage_limit: 1,
  });
  expect(created.status).toBe(201);
  expect(created.body["data"]).toMatchObject({
    type: "user-registration_token",
    attributes: { valid: true, times_used: 0 },
  });
  const again = await api("POST", "/user-registration-tokens", bearer, {
    token: created.body["data"].attributes.token,
  });
  expect(again.status).toBe(409);
  const id = created.body["data"].id as string;
  expect(
    (await api("POST", `/user-registration-tokens/${id}/revoke`, bearer)).body["data"].attributes.valid,
  ).toBe(false);
  expect((await api("POST", `/user-registration-tokens/${id}/revoke`, bearer)).body).toEqual({
    errors: [{ title: `Registration token with ID ${id} is already revoked` }],
  });
});
