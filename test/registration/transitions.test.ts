// Every transition of the lifecycle, from every state: allowed ones change the state and write exactly one audit
// row and their outbox rows; refused ones change nothing at all.
import { createHash, randomBytes } from "node:crypto";
import { beforeEach, expect, it } from "vitest";
import { createRegistrationStore } from "../../src/db/registration.store.ts";
import { insertSecretToken } from "../../src/db/secret-token.repository.ts";
import type { RegistrationStore } from "../../src/registration/ports.ts";
import {
  allowedFrom,
  approve,
  castVote,
  decline,
  markFailed,
  markProvisioned,
  resendCredentials,
  retry,
  submitRequest,
  verifyEmail,
  withdrawVote,
  type TransitionSettings,
} from "../../src/registration/transitions.ts";
import {
  requestStates,
  type EmailAddress,
  type Localpart,
  type RegistrationRequest,
  type RequestId,
  type RequestState,
  type UserId,
} from "../../src/registration/types.ts";
import { describeEachDatabase, type TestDatabase } from "../support/database.ts";

const settings: TransitionSettings = {
  adminEmail: "admin@example.org",
  approvalsRequired: 1,
  declinesRequired: 1,
  mode: "synapse",
  credentials: "link",
  invitesSkipReview: true,
};
const now = new Date("2026-11-22T12:00:00Z");
const moderator = "@mod:localhost" as UserId;
const cli = { kind: "cli", name: "root" } as const;

let counter = 0;
function hash(token: string) {
  return createHash("sha256").update(token).digest();
}

describeEachDatabase("registration transitions", (getDb) => {
  let db: TestDatabase;
  let store: RegistrationStore;

  beforeEach(() => {
    db = getDb();
    store = createRegistrationStore(db.db);
  });

  async function submit(overrides: { origin?: "form" | "invite"; email?: string; localpart?: string } = {}) {
    counter++;
    const result = await submitRequest(
      store,
      {
        localpart: (overrides.localpart ?? `user${counter}${randomBytes(3).toString("hex")}`) as Localpart,
        email: (overrides.email ??
          `user${counter}-${randomBytes(3).toString("hex")}@example.org`) as EmailAddress,
        emailIsExclusive: true,
        firstName: "Ada",
        lastName: "Lovelace",
        note: "hello",
        locale: "de",
        clientIp: "192.0.2.1",
        passwordCiphertext: null,
        origin: overrides.origin ?? "form",
        inviteToken: null,
      },
      now,
    );
    if (!result.ok) throw new Error(`submit refused: ${result.conflict}`);
    return result.request;
  }

  async function verifyToken(
    requestId: RequestId,
    expiresAt: Date | null = new Date(now.getTime() + 3_600_000),
  ) {
    const token = randomBytes(32).toString("base64url");
    await insertSecretToken(db.db, { hash: hash(token), purpose: "verify_email", requestId, expiresAt, now });
    return token;
  }

  async function requestIn(state: RequestState): Promise<RegistrationRequest> {
    const request = await submit();
    if (state === "unverified") return request;
    const verified = await verifyEmail(store, settings, hash(await verifyToken(request.id)), now);
    if (!verified.ok) throw new Error("verify failed");
    if (state === "pending") return verified.request;
    if (state === "declined")
      return must(await decline(store, { id: request.id, actor: cli, reason: "no" }, now));
    const approved = must(await approve(store, { id: request.id, actor: cli }, now));
    if (state === "approved") return approved;
    if (state === "provisioned") {
      return must(
        await markProvisioned(
          store,
          settings,
          {
            id: request.id,
            userId: `@${request.localpart}:localhost` as UserId,
            passwordChosenByApplicant: false,
          },
          now,
        ),
      );
    }
    return must(await markFailed(store, { id: request.id, reason: "name taken" }, now));
  }

  function must(result: { ok: true; request: RegistrationRequest } | { ok: false }): RegistrationRequest {
    if (!result.ok) throw new Error(`transition refused: ${JSON.stringify(result)}`);
    return result.request;
  }

  async function snapshot(id: RequestId) {
    const request = await store.getRequest(id);
    const audit = await store.auditTrail(id);
    const outbox = await db.db
      .selectFrom("outbox")
      .select(["kind", "payload"])
      .where("request_id", "=", id)
      .orderBy("id")
      .execute();
    const votes = await store.listVotes(id);
    return { request, audit, outbox, votes };
  }

  /** Each transition, applied to a request; returns whether it was accepted. */
  const attempts: Record<keyof typeof allowedFrom, (r: RegistrationRequest) => Promise<boolean>> = {
    verifyEmail: async (r) => {
      const result = await verifyEmail(store, settings, hash(await verifyToken(r.id)), now);
      return result.ok && !result.alreadyVerified;
    },
    castVote: async (r) =>
      (
        await castVote(
          store,
          { approvalsRequired: 2, declinesRequired: 2 },
          { id: r.id, voter: moderator, decision: "approve", source: "command" },
          now,
        )
      ).ok,
    approve: async (r) => (await approve(store, { id: r.id, actor: cli }, now)).ok,
    decline: async (r) => (await decline(store, { id: r.id, actor: cli, reason: "spam" }, now)).ok,
    markProvisioned: async (r) =>
      (
        await markProvisioned(
          store,
          settings,
          { id: r.id, userId: "@x:localhost" as UserId, passwordChosenByApplicant: false },
          now,
        )
      ).ok,
    markFailed: async (r) => (await markFailed(store, { id: r.id, reason: "boom" }, now)).ok,
    retry: async (r) => (await retry(store, { id: r.id, actor: cli }, now)).ok,
    resendCredentials: async (r) =>
      (await resendCredentials(store, settings, { id: r.id, actor: cli }, now)).ok,
  };

  const expectedState: Record<keyof typeof allowedFrom, RequestState | "same"> = {
    verifyEmail: "pending",
    castVote: "same",
    approve: "approved",
    decline: "declined",
    markProvisioned: "provisioned",
    markFailed: "failed",
    retry: "approved",
    resendCredentials: "same",
  };

  for (const [name, from] of Object.entries(allowedFrom) as [
    keyof typeof allowedFrom,
    readonly RequestState[],
  ][]) {
    for (const state of requestStates) {
      const allowed = from.includes(state) && !(name === "resendCredentials" && state === "approved");
      it(`${name} from ${state} is ${allowed ? "allowed" : "refused"}`, async () => {
        const request = await requestIn(state);
        const before = await snapshot(request.id);
        const accepted = await attempts[name](request);
        const after = await snapshot(request.id);
        expect(accepted).toBe(allowed);
        if (allowed) {
          const target = expectedState[name];
          expect(after.request?.state).toBe(target === "same" ? state : target);
          // Exactly one audit row per transition (castVote from pending: one "vote" row).
          expect(after.audit.length).toBe(before.audit.length + 1);
          expect(after.outbox.length).toBeGreaterThan(before.outbox.length);
        } else {
          expect(after).toEqual(before);
        }
      });
    }
  }

  it("submission queues the verification email and reserves the name and the address", async () => {
    const request = await submit();
    const { outbox, audit } = await snapshot(request.id);
    expect(request.state).toBe("unverified");
    expect(audit.map((a) => a.action)).toEqual(["submitted"]);
    expect(outbox).toEqual([
      expect.objectContaining({
        kind: "email",
        payload: expect.objectContaining({
          template: "verify_email",
          to: request.email,
          locale: "de",
          links: ["verify_email", "status"],
        }),
      }),
    ]);
    const sameName = await submitRequest(
      store,
      { ...baseInput(), localpart: request.localpart, email: "other@example.org" as EmailAddress },
      now,
    );
    expect(sameName).toEqual({ ok: false, conflict: "localpart" });
    const sameEmail = await submitRequest(
      store,
      { ...baseInput(), localpart: "fresh-name" as Localpart, email: request.email! },
      now,
    );
    expect(sameEmail).toEqual({ ok: false, conflict: "email" });
  });

  it("a declined request frees its name and its address", async () => {
    const declined = await requestIn("declined");
    const again = await submitRequest(
      store,
      { ...baseInput(), localpart: declined.localpart, email: declined.email! },
      now,
    );
    expect(again.ok).toBe(true);
  });

  it("multiple requests per address are allowed when the address is not exclusive", async () => {
    const first = await submit();
    const second = await submitRequest(
      store,
      {
        ...baseInput(),
        localpart: `second${counter++}` as Localpart,
        email: first.email!,
        emailIsExclusive: false,
      },
      now,
    );
    expect(second.ok).toBe(true);
  });

  it("verification queues the room post and the admin email; expired and used tokens are refused", async () => {
    const request = await submit();
    const expired = await verifyToken(request.id, new Date(now.getTime() - 1));
    expect(await verifyEmail(store, settings, hash(expired), now)).toEqual({ ok: false, reason: "expired" });
    expect(await verifyEmail(store, settings, hash("not-a-token"), now)).toEqual({
      ok: false,
      reason: "unknown",
    });
    const token = await verifyToken(request.id);
    const result = await verifyEmail(store, settings, hash(token), now);
    expect(result).toMatchObject({ ok: true, alreadyVerified: false, request: { state: "pending" } });
    const kinds = (await snapshot(request.id)).outbox.map((o) => [o.kind, o.payload["template"] ?? null]);
    expect(kinds).toEqual([
      ["email", "verify_email"],
      ["bot.post_request", null],
      ["email", "admin_new_request"],
    ]);
    // The same link again shows the status instead of failing.
    expect(await verifyEmail(store, settings, hash(token), now)).toMatchObject({
      ok: true,
      alreadyVerified: true,
    });
  });

  it("a verified invite sign-up skips review when configured", async () => {
    const request = await submit({ origin: "invite" });
    const result = await verifyEmail(store, settings, hash(await verifyToken(request.id)), now);
    expect(result).toMatchObject({ ok: true, request: { state: "approved", decidedBy: "system:invite" } });
    const kinds = (await snapshot(request.id)).outbox.map((o) => o.kind);
    expect(kinds).toContain("provision");
    expect(kinds).not.toContain("bot.post_request");
    const reviewed = await submit({ origin: "invite" });
    const withReview = await verifyEmail(
      store,
      { ...settings, invitesSkipReview: false },
      hash(await verifyToken(reviewed.id)),
      now,
    );
    expect(withReview).toMatchObject({ ok: true, request: { state: "pending" } });
  });

  it("quorum: two approvals from distinct moderators; a repeated vote does not count twice", async () => {
    const request = await requestIn("pending");
    const quorum = { approvalsRequired: 2, declinesRequired: 2 };
    const first = await castVote(
      store,
      quorum,
      { id: request.id, voter: moderator, decision: "approve", source: "reaction", eventId: "$a" },
      now,
    );
    expect(first).toMatchObject({ ok: true, outcome: "recorded", approvals: 1 });
    const again = await castVote(
      store,
      quorum,
      { id: request.id, voter: moderator, decision: "approve", source: "command" },
      now,
    );
    expect(again).toMatchObject({ ok: true, approvals: 1 });
    expect((await store.getRequest(request.id))?.state).toBe("pending");
    const second = await castVote(
      store,
      quorum,
      {
        id: request.id,
        voter: "@mod2:localhost" as UserId,
        decision: "approve",
        source: "reaction",
        eventId: "$b",
      },
      now,
    );
    expect(second).toMatchObject({
      ok: true,
      outcome: "approved",
      approvals: 2,
      request: { state: "approved", decidedBy: "@mod2:localhost" },
    });
  });

  it("withdrawing a vote removes only the vote from that event", async () => {
    const request = await requestIn("pending");
    const quorum = { approvalsRequired: 2, declinesRequired: 2 };
    await castVote(
      store,
      quorum,
      { id: request.id, voter: moderator, decision: "approve", source: "reaction", eventId: "$yes" },
      now,
    );
    expect(
      await withdrawVote(store, { id: request.id, voter: moderator, eventId: "$other" }, now),
    ).toMatchObject({ ok: true, withdrawn: false });
    expect(await store.listVotes(request.id)).toHaveLength(1);
    expect(
      await withdrawVote(store, { id: request.id, voter: moderator, eventId: "$yes" }, now),
    ).toMatchObject({ ok: true, withdrawn: true });
    expect(await store.listVotes(request.id)).toHaveLength(0);
    const actions = (await store.auditTrail(request.id)).map((a) => a.action);
    expect(actions.slice(-2)).toEqual(["vote", "vote_withdrawn"]);
  });

  it("a decline by quorum carries the reason into the email and the record", async () => {
    const request = await requestIn("pending");
    const result = await castVote(
      store,
      settings,
      { id: request.id, voter: moderator, decision: "decline", source: "command", reason: "too young" },
      now,
    );
    expect(result).toMatchObject({
      ok: true,
      outcome: "declined",
      request: { state: "declined", decisionReason: "too young" },
    });
    const declinedEmail = (await snapshot(request.id)).outbox.find(
      (o) => o.payload["template"] === "declined",
    );
    expect(declinedEmail?.payload).toMatchObject({
      to: request.email,
      locale: "de",
      params: expect.objectContaining({ reason: "too young" }),
    });
  });

  it("provisioning wipes the collected password and queues the credentials that fit the mode", async () => {
    const request = await requestIn("approved");
    await db.db
      .updateTable("registration_request")
      .set({ password_ciphertext: new Uint8Array([1, 2, 3]) })
      .where("id", "=", request.id)
      .execute();
    const sealed = new Uint8Array([9, 9, 9]);
    const result = await markProvisioned(
      store,
      { credentials: "password" },
      {
        id: request.id,
        userId: "@p:localhost" as UserId,
        passwordChosenByApplicant: false,
        sealedPassword: sealed,
      },
      now,
    );
    expect(result).toMatchObject({
      ok: true,
      request: { state: "provisioned", hasPassword: false, userId: "@p:localhost" },
    });
    const row = await db.db
      .selectFrom("outbox")
      .select(["secret", "payload"])
      .where("request_id", "=", request.id)
      .where("kind", "=", "email")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(row.payload["template"]).toBe("account_ready_password");
    expect(row.payload).not.toHaveProperty("sealedSecret");
    expect(Array.from(row.secret ?? [])).toEqual([9, 9, 9]);
  });

  it("a failure tells the room why; a decline of a failed request deletes its homeserver tokens", async () => {
    const failed = await requestIn("failed");
    const notice = (await snapshot(failed.id)).outbox.find((o) => o.kind === "bot.notice");
    expect(notice?.payload).toMatchObject({
      notice: {
        type: "provisioning_failed",
        requestId: failed.id,
        reason: expect.stringContaining("name taken"),
      },
    });
    await db.db
      .insertInto("homeserver_token")
      .values({
        token: `tok${failed.id}`,
        purpose: "approval",
        request_id: failed.id,
        created_by: "system",
        created_at: now,
      })
      .execute();
    must(await decline(store, { id: failed.id, actor: cli, reason: null }, now));
    const deletion = (await snapshot(failed.id)).outbox.find((o) => o.kind === "homeserver.delete_token");
    expect(deletion?.payload).toEqual({ token: `tok${failed.id}` });
  });

  it("resending credentials invalidates the earlier set-password links", async () => {
    const request = await requestIn("provisioned");
    const old = randomBytes(32).toString("base64url");
    await insertSecretToken(db.db, {
      hash: hash(old),
      purpose: "set_password",
      requestId: request.id,
      expiresAt: null,
      now,
    });
    must(await resendCredentials(store, settings, { id: request.id, actor: cli }, now));
    expect((await store.getSecretToken(hash(old)))?.usedAt).toEqual(now);
    const tokenMode = await resendCredentials(
      store,
      { mode: "token", credentials: "link" },
      { id: request.id, actor: cli },
      now,
    );
    expect(tokenMode).toEqual({ ok: false, reason: "not_applicable" });
  });

  it("concurrent approvals of one request decide it once", async () => {
    const request = await requestIn("pending");
    const results = await Promise.all(
      Array.from({ length: 5 }, () => approve(store, { id: request.id, actor: cli }, now)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const provisions = (await snapshot(request.id)).outbox.filter((o) => o.kind === "provision");
    expect(provisions).toHaveLength(1);
  });

  it("unknown requests are refused as not found", async () => {
    const missing = 999_999 as RequestId;
    expect(await approve(store, { id: missing, actor: cli }, now)).toEqual({
      ok: false,
      reason: "not_found",
    });
    expect(await retry(store, { id: missing, actor: cli }, now)).toEqual({ ok: false, reason: "not_found" });
  });
});

function baseInput() {
  return {
    emailIsExclusive: true,
    firstName: "B",
    lastName: "C",
    note: "",
    locale: "en" as const,
    clientIp: null,
    passwordCiphertext: null,
    origin: "form" as const,
    inviteToken: null,
  };
}
