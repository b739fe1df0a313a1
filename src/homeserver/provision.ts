// Account creation for approved requests: the `provision` outbox handler, per homeserver.mode. Every path is safe
// to run again after a crash: an account Vestibule made is recognised (external id marker with the admin API, the
// derived initial password with shared-secret registration) and an account it did not make is never touched.
import { createHmac } from "node:crypto";
import type { Config } from "../config/index.ts";
import { randomPassword, type SecretBox } from "../crypto/index.ts";
import type { DatabaseHandle } from "../db/database.ts";
import { recordToken, markTokenDeleted } from "../db/homeserver-token.repository.ts";
import {
  approvalTokenOf,
  requestPasswordCiphertext,
  withRequestLock,
} from "../db/provisioning.repository.ts";
import { isAppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { OutboxHandler, OutboxOutcome } from "../outbox/registry.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import { markFailed, markProvisioned, registrationTokenIssued } from "../registration/transitions.ts";
import { displayNameOf, userIdFor, type RegistrationRequest, type UserId } from "../registration/types.ts";
import { newTokenString } from "./invite-tokens.ts";
import type { HomeserverClient } from "./synapse.client.ts";
import { unknowablePassword } from "./synapse.client.ts";

export interface ProvisionDeps {
  config: Pick<Config, "homeserver" | "registration">;
  database: DatabaseHandle;
  store: RegistrationStore;
  homeserver: HomeserverClient;
  secretBox: SecretBox | undefined;
  logger: Logger;
  clock: () => Date;
  /** Local mode: creates the account row (src/internal). */
  localAccounts?: LocalAccountProvisioner;
  onFailure?: (reason: "transient" | "permanent") => void;
}

/** Local mode plugs in here: create the account row for the request (idempotent). */
export interface LocalAccountProvisioner {
  createAccount(
    request: RegistrationRequest,
    options: { passwordHash: string | null },
    now: Date,
  ): Promise<void>;
  hashPassword(password: string): Promise<string>;
}

/** Marks accounts Vestibule created (admin API `external_ids`), so a retry can tell them from anyone else's. */
export const EXTERNAL_ID_PROVIDER = "vestibule";
export function externalIdFor(request: Pick<RegistrationRequest, "id" | "createdAt">): string {
  return `request:${request.id}:${request.createdAt.getTime()}`;
}

/**
 * The password an account made by shared-secret registration starts with: derived from the shared secret (which
 * can create admin accounts anyway) and the request, never stored, so a retry or the set-password page can log in
 * with it and prove the account is ours.
 */
export function initialPassword(
  sharedSecret: string,
  request: Pick<RegistrationRequest, "id" | "createdAt">,
): string {
  return derived(sharedSecret, "initial-password", request);
}

function derived(
  sharedSecret: string,
  label: string,
  request: Pick<RegistrationRequest, "id" | "createdAt">,
): string {
  return createHmac("sha256", sharedSecret)
    .update(`vestibule-${label}:${request.id}:${request.createdAt.getTime()}`)
    .digest("base64url");
}

/** Why provisioning gave up, in words moderators understand. */
class PermanentFailure extends Error {
  override name = "PermanentFailure";
}

interface Credentials {
  /** The password the account gets now. */
  password: string;
  /** credentials: "password" — sealed for the email. */
  sealed?: Uint8Array;
  /** The applicant typed it on the form. */
  chosenByApplicant: boolean;
}

export function createProvisionHandler(deps: ProvisionDeps): OutboxHandler<"provision"> {
  const log = deps.logger.child({ component: "provisioning" });
  const hs = deps.config.homeserver;

  async function credentialsFor(
    request: RegistrationRequest,
    oneTimePassword: () => string,
  ): Promise<Credentials> {
    if (request.hasPassword) {
      const sealed = await requestPasswordCiphertext(deps.database.db, request.id);
      if (sealed && deps.secretBox) return { password: deps.secretBox.open(sealed), chosenByApplicant: true };
      if (sealed)
        throw new PermanentFailure("the collected password cannot be opened: secrets.key is not configured");
    }
    if (deps.config.registration.credentials === "password") {
      if (!deps.secretBox) throw new PermanentFailure('credentials "password" needs secrets.key');
      const password = oneTimePassword();
      return { password, sealed: deps.secretBox.seal(password), chosenByApplicant: false };
    }
    return { password: "", chosenByApplicant: false };
  }

  /** Display name, email 3PID, room joins: what the admin API can set. Room join problems do not fail the account. */
  async function finishWithAdmin(request: RegistrationRequest, userId: string) {
    for (const room of hs.autoJoinRooms) {
      try {
        await deps.homeserver.joinRoom(room, userId);
      } catch (error) {
        if (isAppError(error) && error.code === "unavailable") throw error;
        log.warn({ err: error, room, requestId: request.id }, "could not join the new account to a room");
      }
    }
  }

  async function provisionWithAdmin(
    request: RegistrationRequest,
  ): Promise<{ userId: UserId; credentials: Credentials }> {
    const userId = userIdFor(request.localpart, hs.serverName);
    const marker = externalIdFor(request);
    const credentials = await credentialsFor(request, () => randomPassword());
    const password = credentials.password || unknowablePassword();
    const existing = await deps.homeserver.getUser(userId);
    if (existing) {
      const ours = existing.externalIds.some(
        (e) => e.authProvider === EXTERNAL_ID_PROVIDER && e.externalId === marker,
      );
      if (!ours)
        throw new PermanentFailure(`${userId} already exists on the homeserver (not created by Vestibule)`);
      // A retry after a crash: the account is ours; make its password the one this attempt will hand out.
      if (credentials.password)
        await deps.homeserver.resetPassword(userId, credentials.password, { logoutDevices: false });
    } else {
      const created = await deps.homeserver.createUser(userId, {
        password,
        displayname: displayNameOf(request),
        ...(request.email ? { threepids: [{ medium: "email" as const, address: request.email }] } : {}),
        externalIds: [{ authProvider: EXTERNAL_ID_PROVIDER, externalId: marker }],
      });
      if (!created.created)
        throw new PermanentFailure(`${userId} was registered on the homeserver by someone else meanwhile`);
    }
    await finishWithAdmin(request, userId);
    return { userId, credentials };
  }

  async function provisionWithSharedSecret(
    request: RegistrationRequest,
  ): Promise<{ userId: UserId; credentials: Credentials }> {
    const secret = hs.registrationSharedSecret;
    if (!secret)
      throw new PermanentFailure(
        "neither homeserver.adminToken nor homeserver.registrationSharedSecret is configured",
      );
    const initial = initialPassword(secret, request);
    // In password mode the one-time password is derived too, so a retry proves ownership with it as well.
    const credentials = await credentialsFor(request, () =>
      derived(secret, "one-time-password", request).slice(0, 20),
    );
    const password = credentials.password || initial;
    const registered = await deps.homeserver.registerWithSharedSecret({
      localpart: request.localpart,
      password,
      displayname: displayNameOf(request),
    });
    let accessToken: string | undefined;
    let userId = userIdFor(request.localpart, hs.serverName);
    if (registered.ok) {
      accessToken = registered.accessToken;
      userId = registered.userId as UserId;
    } else if (registered.reason === "taken") {
      // Ours from an earlier attempt if the password we would have set opens it.
      const login = await deps.homeserver.login(request.localpart, password, {
        deviceDisplayName: "Vestibule provisioning",
      });
      if (!login.ok)
        throw new PermanentFailure(`${userId} already exists on the homeserver (not created by Vestibule)`);
      accessToken = login.accessToken;
    } else {
      throw new PermanentFailure(
        `the homeserver refused the name ${request.localpart} (${registered.reason})`,
      );
    }
    try {
      for (const room of hs.autoJoinRooms) {
        if (!accessToken) break;
        try {
          await deps.homeserver.joinRoomAsUser(accessToken, room);
        } catch (error) {
          if (isAppError(error) && error.code === "unavailable") throw error;
          log.warn(
            { err: error, room, requestId: request.id },
            "the new account could not join a room (only public rooms work without an admin token)",
          );
        }
      }
    } finally {
      // The session was only for setting the account up; the applicant logs in with their own client.
      if (accessToken) await deps.homeserver.logout(accessToken).catch(() => undefined);
    }
    return { userId, credentials };
  }

  async function provisionToken(request: RegistrationRequest): Promise<void> {
    const now = deps.clock();
    const validityMs = deps.config.registration.linkValidityHours * 3_600_000;
    let recorded = await approvalTokenOf(deps.database.db, request.id);
    if (recorded) {
      const onServer = await deps.homeserver.getRegistrationToken(recorded.token);
      const usable =
        onServer &&
        (onServer.expiryTime === null || onServer.expiryTime > now.getTime() + 60_000) &&
        onServer.completed === 0;
      if (!usable) {
        if (onServer) await deps.homeserver.deleteRegistrationToken(recorded.token);
        await markTokenDeleted(deps.database.db, recorded.token, now);
        recorded = null;
      }
    }
    if (!recorded) {
      // Recorded first, created second: a retry after a crash finds the record and creates that same token.
      const token = newTokenString(24);
      const expiresAt = new Date(now.getTime() + validityMs);
      await recordToken(deps.database.db, {
        token,
        purpose: "approval",
        requestId: request.id,
        createdBy: "system:provisioning",
        note: null,
        usesAllowed: 1,
        expiresAt,
        now,
      });
      recorded = { token, expiresAt };
    }
    if (!(await deps.homeserver.getRegistrationToken(recorded.token))) {
      await deps.homeserver.createRegistrationToken({
        token: recorded.token,
        usesAllowed: 1,
        expiryTime: recorded.expiresAt ? recorded.expiresAt.getTime() : now.getTime() + validityMs,
      });
    }
    await registrationTokenIssued(deps.store, { id: request.id }, deps.clock());
  }

  async function provision(request: RegistrationRequest): Promise<void> {
    // Invite sign-ups register with the invitation's own token (so the homeserver counts the use). In local mode
    // the account is Vestibule's own, so the invitation only let the applicant in.
    if (request.origin === "invite" && request.inviteToken && hs.mode !== "local") {
      await registrationTokenIssued(deps.store, { id: request.id }, deps.clock());
      return;
    }
    if (hs.mode === "token") return provisionToken(request);
    let userId: UserId;
    let credentials: Credentials;
    if (hs.mode === "local") {
      if (!deps.localAccounts) throw new PermanentFailure("local mode is not available in this process");
      credentials = await credentialsFor(request, () => randomPassword());
      const hash = credentials.password ? await deps.localAccounts.hashPassword(credentials.password) : null;
      await deps.localAccounts.createAccount(request, { passwordHash: hash }, deps.clock());
      userId = userIdFor(request.localpart, hs.serverName);
    } else {
      ({ userId, credentials } = hs.adminToken
        ? await provisionWithAdmin(request)
        : await provisionWithSharedSecret(request));
    }
    const result = await markProvisioned(
      deps.store,
      { credentials: deps.config.registration.credentials },
      {
        id: request.id,
        userId,
        passwordChosenByApplicant: credentials.chosenByApplicant,
        ...(credentials.sealed ? { sealedPassword: credentials.sealed } : {}),
        ...(hs.welcomeMessage ? { welcomeMessage: hs.welcomeMessage } : {}),
      },
      deps.clock(),
    );
    if (!result.ok)
      log.warn({ requestId: request.id, result }, "request changed while its account was created");
    else log.info({ requestId: request.id, userId }, "account created");
  }

  async function fail(request: RegistrationRequest, reason: string): Promise<OutboxOutcome> {
    deps.onFailure?.("permanent");
    log.warn({ requestId: request.id, reason }, "provisioning failed");
    await markFailed(deps.store, { id: request.id, reason }, deps.clock());
    return { status: "done" };
  }

  return async (row) => {
    if (row.requestId === null) return { status: "dead", error: "provision row without a request" };
    const request = await deps.store.getRequest(row.requestId);
    // Declined, retried elsewhere or already provisioned meanwhile: nothing to do.
    if (!request || request.state !== "approved") return { status: "done" };
    try {
      const outcome = await withRequestLock(deps.database, request.id, () => provision(request));
      if (outcome === "busy")
        return { status: "retry", error: "another worker is provisioning this request", retryAfterMs: 2_000 };
      return { status: "done" };
    } catch (error) {
      if (error instanceof PermanentFailure) return fail(request, error.message);
      if (isAppError(error) && error.code !== "unavailable" && error.code !== "internal") {
        return fail(
          request,
          error.publicMessage && error.code === "rejected"
            ? `${error.publicMessage} (${error.message})`
            : error.message,
        );
      }
      deps.onFailure?.("transient");
      const attempts = row.attempts + 1;
      const message = error instanceof Error ? error.message : String(error);
      if (attempts >= hs.provisioningMaxAttempts) {
        return fail(request, `gave up after ${attempts} attempts: ${message}`);
      }
      throw error;
    }
  };
}

/** The `homeserver.delete_token` outbox handler: registration tokens of declined or expired requests go away. */
export function createDeleteTokenHandler(
  deps: Pick<ProvisionDeps, "database" | "homeserver" | "clock">,
): OutboxHandler<"homeserver.delete_token"> {
  return async (row) => {
    const token = row.effect.token;
    // False means it was already gone: the goal is reached either way.
    await deps.homeserver.deleteRegistrationToken(token);
    await markTokenDeleted(deps.database.db, token, deps.clock());
    return { status: "done" };
  };
}
