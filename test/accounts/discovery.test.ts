// discoverHomeserver against the shared real Synapse, and against it behind the MAS front (a MAS-delegated Synapse):
// what each offers, and what assessMode makes of it.
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { assessMode, discoverHomeserver, type DiscoveryHttp } from "../../src/accounts/discovery.ts";
import { AppError } from "../../src/errors.ts";
import { startMasFront, type MasFront } from "../support/mas-front.ts";
import { startMasStandin, type MasStandin } from "../support/mas-standin.ts";

const synapse = inject("synapse");
let front: MasFront;
let mas: MasStandin;
let frontWithMas: MasFront;

const http = (baseUrl: string): DiscoveryHttp => ({ baseUrl, timeoutMs: 5000, fetch });

beforeAll(async () => {
  front = await startMasFront({ upstream: synapse.url, issuer: "https://auth.example.org/" });
  mas = await startMasStandin({ clients: [], adminClients: [] });
  frontWithMas = await startMasFront({ upstream: synapse.url, issuer: mas.issuer, mas: mas.url });
});
afterAll(async () => {
  await front?.close();
  await frontWithMas?.close();
  await mas?.close();
});

it("finds a plain Synapse with every admin API the Synapse modes need, and token-gated registration", async () => {
  const d = await discoverHomeserver(http(synapse.url), {
    adminToken: synapse.adminToken,
    probeRegistrationFlows: true,
  });
  expect(d.delegatedAuth).toBeNull();
  expect(d.versions).toContain("v1.1");
  expect(d.serverVersion).toMatch(/^\d+\.\d+/);
  expect(d.adminToken).toBe("accepted");
  expect(d.adminApi).toEqual({
    usersV2: "available",
    registrationTokens: "available",
    sharedSecretRegistration: "available",
    usernameAvailable: "available",
    msc3866: false,
  });
  expect(d.registration.status).toBe("token_required");
  expect(d.registration.flows?.[0]).toContain("m.login.registration_token");
  const config = { adminToken: true, sharedSecret: true };
  expect(assessMode("synapse", d, config)).toEqual({ ok: true });
  expect(assessMode("token", d, config)).toEqual({ ok: true });
  expect(assessMode("mas", d, config)).toMatchObject({ ok: false, suggestedMode: "synapse" });
});

it("tells a missing or refused admin token apart from an absent API", async () => {
  const without = await discoverHomeserver(http(synapse.url));
  expect(without.adminToken).toBe("none");
  expect(without.adminApi).toMatchObject({
    usersV2: "unauthorized",
    registrationTokens: "unauthorized",
    msc3866: null,
  });
  expect(without.registration.status).toBe("unknown");
  expect(assessMode("synapse", without, { adminToken: false, sharedSecret: false })).toMatchObject({
    ok: false,
  });
  expect(assessMode("synapse", without, { adminToken: false, sharedSecret: true })).toEqual({ ok: true });

  const wrong = await discoverHomeserver(http(synapse.url), { adminToken: "syt_not_a_real_token" });
  expect(wrong.adminToken).toBe("refused");
  expect(assessMode("synapse", wrong, { adminToken: true, sharedSecret: false })).toMatchObject({
    ok: false,
    reason: expect.stringContaining("not accepted"),
  });
});

it("finds MAS delegation behind the front, and what Synapse hides there", async () => {
  const d = await discoverHomeserver(http(front.url), {
    adminToken: synapse.adminToken,
    probeRegistrationFlows: true,
  });
  expect(d.delegatedAuth).toEqual({
    issuer: "https://auth.example.org/",
    accountManagementUrl: "https://auth.example.org/account/",
    source: "auth_metadata",
  });
  expect(d.registration.status).toBe("delegated");
  expect(d.adminApi).toMatchObject({
    registrationTokens: "absent",
    sharedSecretRegistration: "absent",
    usersV2: "available",
    usernameAvailable: "available",
  });
  const config = { adminToken: true, sharedSecret: true };
  for (const mode of ["synapse", "token", "local"] as const)
    expect(assessMode(mode, d, config)).toMatchObject({ ok: false, suggestedMode: "mas" });
  expect(assessMode("mas", d, config)).toEqual({ ok: true });
});

it("reads the issuer from MAS's own metadata, and refuses to guess when that cannot be fetched", async () => {
  const d = await discoverHomeserver(http(frontWithMas.url));
  expect(d.delegatedAuth?.issuer).toBe(mas.issuer);
  expect(assessMode("mas", d, { adminToken: false, sharedSecret: false, mas: { issuer: mas.url } })).toEqual({
    ok: true,
  });

  // MAS away: Synapse under MAS answers auth_metadata with a 500. Not knowing must not read as "not delegated".
  const gone = await startMasFront({
    upstream: synapse.url,
    issuer: "http://127.0.0.1:9/",
    mas: "http://127.0.0.1:9",
  });
  try {
    const error = await discoverHomeserver(http(gone.url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("unavailable");
  } finally {
    await gone.close();
  }
});

it("says unavailable when nothing answers", async () => {
  const error = await discoverHomeserver(http("http://127.0.0.1:9")).catch((e: unknown) => e);
  expect((error as AppError).code).toBe("unavailable");
});
