// assessMode is pure: each case builds the discovery a homeserver would give and checks the verdict an operator sees.
import { describe, expect, it } from "vitest";
import { assessMode, type HomeserverDiscovery, type ModeConfig } from "./discovery.ts";

type Patch = Partial<Omit<HomeserverDiscovery, "adminApi">> & {
  adminApi?: Partial<HomeserverDiscovery["adminApi"]>;
};

function discovery(patch: Patch = {}): HomeserverDiscovery {
  const base: HomeserverDiscovery = {
    versions: ["v1.11"],
    unstableFeatures: {},
    serverVersion: "1.160.0",
    delegatedAuth: null,
    adminToken: "accepted",
    registration: { status: "token_required", flows: [["m.login.registration_token", "m.login.dummy"]] },
    adminApi: {
      usersV2: "available",
      registrationTokens: "available",
      sharedSecretRegistration: "available",
      usernameAvailable: "available",
      msc3866: false,
    },
  };
  return { ...base, ...patch, adminApi: { ...base.adminApi, ...patch.adminApi } };
}

const withToken: ModeConfig = { adminToken: true, sharedSecret: false };
const withSecret: ModeConfig = { adminToken: false, sharedSecret: true };
const nothing: ModeConfig = { adminToken: false, sharedSecret: false };

const mas = discovery({
  delegatedAuth: { issuer: "https://auth.example.org/", source: "auth_metadata" },
  registration: { status: "delegated", flows: null },
  adminApi: { registrationTokens: "absent", sharedSecretRegistration: "absent" },
});

describe("assessMode", () => {
  it("takes every Synapse-side mode down on a MAS-delegated homeserver and points to mas", () => {
    for (const mode of ["synapse", "token", "local"] as const) {
      const verdict = assessMode(mode, mas, withToken);
      expect(verdict).toMatchObject({ ok: false, suggestedMode: "mas" });
      if (!verdict.ok) expect(verdict.reason).toContain("https://auth.example.org/");
    }
    expect(assessMode("mas", mas, withToken)).toEqual({ ok: true });
  });

  it("takes mas down when the configured issuer is not the homeserver's", () => {
    expect(assessMode("mas", mas, { ...withToken, mas: { issuer: "https://auth.example.org" } })).toEqual({
      ok: true,
    });
    expect(
      assessMode("mas", mas, { ...withToken, mas: { issuer: "https://other.example.org/" } }),
    ).toMatchObject({
      ok: false,
      suggestedMode: undefined,
    });
  });

  it("takes mas down on a homeserver that does not delegate, suggesting what works", () => {
    expect(assessMode("mas", discovery(), withToken)).toMatchObject({ ok: false, suggestedMode: "synapse" });
    expect(assessMode("mas", discovery(), nothing)).toMatchObject({ ok: false, suggestedMode: undefined });
  });

  it("needs an accepted admin token or a working shared secret for synapse", () => {
    expect(assessMode("synapse", discovery(), withToken)).toEqual({ ok: true });
    expect(assessMode("synapse", discovery(), withSecret)).toEqual({ ok: true });
    expect(assessMode("synapse", discovery({ adminToken: "none" }), nothing)).toMatchObject({ ok: false });
    expect(assessMode("synapse", discovery({ adminToken: "refused" }), withToken)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("adminToken is not accepted"),
    });
    expect(
      assessMode("synapse", discovery({ adminApi: { sharedSecretRegistration: "disabled" } }), withSecret),
    ).toMatchObject({ ok: false, reason: expect.stringContaining("switched off") });
  });

  it("needs token-gated registration and the token API for token mode", () => {
    expect(assessMode("token", discovery(), withToken)).toEqual({ ok: true });
    expect(
      assessMode("token", discovery({ registration: { status: "unknown", flows: null } }), withToken),
    ).toEqual({
      ok: true,
    });
    expect(assessMode("token", discovery(), withSecret)).toMatchObject({ ok: false });
    expect(
      assessMode("token", discovery({ registration: { status: "disabled", flows: null } }), withToken),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining("registration is disabled"),
      suggestedMode: "synapse",
    });
    expect(
      assessMode(
        "token",
        discovery({ registration: { status: "open", flows: [["m.login.dummy"]] } }),
        withToken,
      ),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining("without a token"),
      suggestedMode: "synapse",
    });
  });

  it("accepts local mode unless the admin token is refused", () => {
    expect(assessMode("local", discovery(), nothing)).toEqual({ ok: true });
    expect(assessMode("local", discovery({ adminToken: "refused" }), withToken)).toMatchObject({ ok: false });
  });
});
