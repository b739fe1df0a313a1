// Every state change of a registration request, one function each. Each runs in one transaction that locks the
// request row, checks the state, changes it, writes an audit row and queues its side effects in the outbox — so a
// crash anywhere loses nothing and a side effect is never queued twice for one transition.
import type { NewRequest, RegistrationStore, RegistrationTx } from "./ports.ts";
import type { EmailEffect, SideEffect } from "./side-effects.ts";
import {
  actorLabel,
  displayNameOf,
  type Actor,
  type RegistrationRequest,
  type RequestId,
  type RequestState,
  type UserId,
  type VoteDecision,
  type VoteSource,
} from "./types.ts";

/** The settings transitions depend on (a slice of the config). */
export interface TransitionSettings {
  /** mail.adminEmail: gets a notice for each verified request. */
  adminEmail: string | undefined;
  approvalsRequired: number;
  declinesRequired: number;
  mode: "synapse" | "token" | "local";
  credentials: "link" | "password";
  /** Verified invite sign-ups are approved without moderation. */
  invitesSkipReview: boolean;
}

export type Refusal =
  | { ok: false; reason: "not_found" }
  | { ok: false; reason: "wrong_state"; state: RequestState }
  /** The Matrix event that asked for this was handled before (a replay after a restart). */
  | { ok: false; reason: "duplicate" };

export type TransitionResult = { ok: true; request: RegistrationRequest } | Refusal;

/** Which states each transition accepts. The tests walk this table. */
export const allowedFrom = {
  verifyEmail: ["unverified"],
  castVote: ["pending"],
  approve: ["pending"],
  decline: ["pending", "failed"],
  markProvisioned: ["approved"],
  markFailed: ["approved"],
  retry: ["failed"],
  resendCredentials: ["provisioned", "approved"],
} as const satisfies Record<string, readonly RequestState[]>;

type TransitionName = keyof typeof allowedFrom;

function accepts(name: TransitionName, state: RequestState): boolean {
  return (allowedFrom[name] as readonly RequestState[]).includes(state);
}

/** Locks the request and checks that `name` may run on it. */
async function lockFor(
  tx: RegistrationTx,
  id: RequestId,
  name: TransitionName,
  handledEventId?: string,
): Promise<{ ok: true; request: RegistrationRequest } | Refusal> {
  // Claiming the event in the same transaction makes its effect exactly-once, even when the bot sees it again.
  if (handledEventId !== undefined && !(await tx.claimEvent(handledEventId)))
    return { ok: false, reason: "duplicate" };
  const request = await tx.lockRequest(id);
  if (!request) return { ok: false, reason: "not_found" };
  if (!accepts(name, request.state)) return { ok: false, reason: "wrong_state", state: request.state };
  return { ok: true, request };
}

function emailTo(
  request: RegistrationRequest,
  template: EmailEffect["template"],
  links: EmailEffect["links"],
  params: EmailEffect["params"] = {},
): EmailEffect | null {
  // After retention removed the address there is nobody to write to.
  if (!request.email) return null;
  return {
    kind: "email",
    template,
    to: request.email,
    locale: request.locale,
    links,
    params: {
      requestId: request.id,
      localpart: request.localpart,
      displayName: displayNameOf(request),
      ...params,
    },
  };
}

async function enqueueAll(
  tx: RegistrationTx,
  request: RegistrationRequest,
  effects: (SideEffect | null)[],
  now: Date,
) {
  for (const effect of effects) if (effect) await tx.enqueue(request.id, effect, now);
}

// ---------------------------------------------------------------------------------------------------------------
// unverified

export type SubmitResult =
  { ok: true; request: RegistrationRequest } | { ok: false; conflict: "localpart" | "email" };

/** A new application: the request starts `unverified` and the verification email is queued. */
export async function submitRequest(
  store: RegistrationStore,
  input: NewRequest,
  now: Date,
): Promise<SubmitResult> {
  return store.transaction(async (tx) => {
    const inserted = await tx.insertRequest(input, now);
    if (!inserted.ok) return inserted;
    const request = inserted.request;
    await tx.audit(
      {
        requestId: request.id,
        actor: actorLabel({ kind: "applicant" }),
        action: "submitted",
        detail: { origin: request.origin },
      },
      now,
    );
    await enqueueAll(tx, request, [emailTo(request, "verify_email", ["verify_email", "status"])], now);
    return { ok: true, request };
  });
}

export type VerifyResult =
  | { ok: true; request: RegistrationRequest; alreadyVerified: boolean }
  | { ok: false; reason: "unknown" | "expired" | "used" };

/**
 * The applicant confirmed their address (POST, never a GET: link scanners must not verify). Queues the moderator
 * room post and the admin notice; an invite sign-up that skips review is approved in the same transaction.
 */
export async function verifyEmail(
  store: RegistrationStore,
  settings: TransitionSettings,
  tokenHash: Uint8Array,
  now: Date,
): Promise<VerifyResult> {
  return store.transaction(async (tx) => {
    const token = await tx.lockSecretToken(tokenHash);
    if (!token || token.purpose !== "verify_email" || token.requestId === null)
      return { ok: false, reason: "unknown" };
    const request = await tx.lockRequest(token.requestId);
    if (!request) return { ok: false, reason: "unknown" };
    // Following an old link after verifying is harmless: show the status rather than an error.
    if (request.state !== "unverified") return { ok: true, request, alreadyVerified: true };
    if (token.usedAt) return { ok: false, reason: "used" };
    if (token.expiresAt && token.expiresAt <= now) return { ok: false, reason: "expired" };

    await tx.markSecretTokenUsed(tokenHash, now);
    // Other verification links for this request (resent emails) are now pointless.
    await tx.invalidateSecretTokens(request.id, "verify_email", now);
    let updated = await tx.updateRequest(request.id, { state: "pending", verifiedAt: now }, now);
    await tx.audit({ requestId: request.id, actor: "applicant", action: "verified" }, now);

    if (request.origin === "invite" && settings.invitesSkipReview) {
      updated = await approveLocked(
        tx,
        updated,
        { kind: "system", name: "invite" },
        now,
        "invite skips review",
      );
      return { ok: true, request: updated, alreadyVerified: false };
    }
    await tx.enqueue(request.id, { kind: "bot.post_request" }, now);
    if (settings.adminEmail) {
      await tx.enqueue(
        request.id,
        {
          kind: "email",
          template: "admin_new_request",
          to: settings.adminEmail,
          locale: "en",
          links: [],
          params: {
            requestId: request.id,
            localpart: request.localpart,
            displayName: displayNameOf(request),
            email: request.email,
            note: request.note,
          },
        },
        now,
      );
    }
    return { ok: true, request: updated, alreadyVerified: false };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// pending → approved | declined

async function approveLocked(
  tx: RegistrationTx,
  request: RegistrationRequest,
  actor: Actor,
  now: Date,
  why?: string,
): Promise<RegistrationRequest> {
  const updated = await tx.updateRequest(
    request.id,
    { state: "approved", decidedAt: now, decidedBy: actorLabel(actor) },
    now,
  );
  await tx.audit(
    { requestId: request.id, actor: actorLabel(actor), action: "approved", detail: why ? { why } : {} },
    now,
  );
  await tx.enqueue(request.id, { kind: "provision" }, now);
  await tx.enqueue(request.id, { kind: "bot.update_request" }, now);
  return updated;
}

async function declineLocked(
  tx: RegistrationTx,
  request: RegistrationRequest,
  actor: Actor,
  reason: string | null,
  now: Date,
  /** An extra message for the applicant (the portal's decline form). */
  message: string | null = null,
): Promise<RegistrationRequest> {
  const updated = await tx.updateRequest(
    request.id,
    { state: "declined", decidedAt: now, decidedBy: actorLabel(actor), decisionReason: reason },
    now,
  );
  await tx.audit(
    { requestId: request.id, actor: actorLabel(actor), action: "declined", detail: reason ? { reason } : {} },
    now,
  );
  await enqueueAll(
    tx,
    updated,
    [emailTo(updated, "declined", ["status"], { reason, message }), { kind: "bot.update_request" }],
    now,
  );
  // A declined request must not leave a usable registration token on the homeserver.
  for (const token of await tx.liveHomeserverTokens(request.id)) {
    await tx.enqueue(request.id, { kind: "homeserver.delete_token", token }, now);
  }
  return updated;
}

/** A decision that does not wait for a quorum: an operator at the CLI, or the system. */
export async function approve(
  store: RegistrationStore,
  input: { id: RequestId; actor: Actor; handledEventId?: string },
  now: Date,
): Promise<TransitionResult> {
  return store.transaction(async (tx) => {
    const locked = await lockFor(tx, input.id, "approve", input.handledEventId);
    if (!locked.ok) return locked;
    return { ok: true, request: await approveLocked(tx, locked.request, input.actor, now) };
  });
}

export async function decline(
  store: RegistrationStore,
  input: { id: RequestId; actor: Actor; reason: string | null; handledEventId?: string },
  now: Date,
): Promise<TransitionResult> {
  return store.transaction(async (tx) => {
    const locked = await lockFor(tx, input.id, "decline", input.handledEventId);
    if (!locked.ok) return locked;
    return { ok: true, request: await declineLocked(tx, locked.request, input.actor, input.reason, now) };
  });
}

export type VoteResult =
  | {
      ok: true;
      request: RegistrationRequest;
      /** What the vote did: decided the request, or was recorded while the quorum is not reached yet. */
      outcome: "approved" | "declined" | "recorded" | "unchanged";
      approvals: number;
      declines: number;
    }
  | Refusal;

/**
 * A moderator's vote (reaction, command or portal). One vote per moderator per request: a new vote replaces their
 * earlier one. When a side reaches its quorum, the request is decided in the same transaction.
 */
export async function castVote(
  store: RegistrationStore,
  settings: Pick<TransitionSettings, "approvalsRequired" | "declinesRequired">,
  input: {
    id: RequestId;
    voter: UserId;
    decision: VoteDecision;
    source: VoteSource;
    eventId?: string | null;
    reason?: string | null;
    /** For the applicant, sent with the decline email if this vote declines the request. */
    message?: string | null;
    handledEventId?: string;
  },
  now: Date,
): Promise<VoteResult> {
  return store.transaction(async (tx) => {
    const locked = await lockFor(tx, input.id, "castVote", input.handledEventId);
    if (!locked.ok) return locked;
    const before = await tx.listVotes(input.id);
    const previous = before.find((v) => v.voter === input.voter);
    const reason = input.reason ?? null;
    // The same vote again changes nothing — unless a command repeats a reaction's vote: then the vote becomes the
    // command's (no event id), so redacting the reaction later does not withdraw what the command said. A reaction
    // that repeats a command's vote leaves the command's vote as it is, for the same reason.
    const sameEvent = previous?.eventId === null || previous?.eventId === (input.eventId ?? null);
    if (previous && previous.decision === input.decision && previous.reason === reason && sameEvent) {
      const tally = countVotes(before);
      return { ok: true, request: locked.request, outcome: "unchanged", ...tally };
    }
    await tx.upsertVote(
      {
        requestId: input.id,
        voter: input.voter,
        decision: input.decision,
        source: input.source,
        eventId: input.eventId ?? null,
        reason,
      },
      now,
    );
    await tx.audit(
      {
        requestId: input.id,
        actor: input.voter,
        action: "vote",
        detail: { decision: input.decision, source: input.source, ...(reason ? { reason } : {}) },
      },
      now,
    );
    const votes = await tx.listVotes(input.id);
    const tally = countVotes(votes);
    const actor: Actor =
      input.source === "portal"
        ? { kind: "portal", userId: input.voter }
        : { kind: "moderator", userId: input.voter };
    if (tally.approvals >= settings.approvalsRequired) {
      const request = await approveLocked(tx, locked.request, actor, now);
      return { ok: true, request, outcome: "approved", ...tally };
    }
    if (tally.declines >= settings.declinesRequired) {
      // The reason of the vote that reached the quorum, else the latest reason given by a decliner.
      const declineReason =
        reason ??
        votes
          .filter((v) => v.decision === "decline" && v.reason)
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]?.reason ??
        null;
      const request = await declineLocked(
        tx,
        locked.request,
        actor,
        declineReason,
        now,
        input.message ?? null,
      );
      return { ok: true, request, outcome: "declined", ...tally };
    }
    await tx.enqueue(input.id, { kind: "bot.update_request" }, now);
    return { ok: true, request: locked.request, outcome: "recorded", ...tally };
  });
}

export type WithdrawResult = { ok: true; request: RegistrationRequest; withdrawn: boolean } | Refusal;

/** A moderator took a vote back (redacted their reaction). Only while the request is still pending. */
export async function withdrawVote(
  store: RegistrationStore,
  input: { id: RequestId; voter: UserId; eventId?: string; handledEventId?: string },
  now: Date,
): Promise<WithdrawResult> {
  return store.transaction(async (tx) => {
    const locked = await lockFor(tx, input.id, "castVote", input.handledEventId);
    if (!locked.ok) return locked;
    const removed = await tx.deleteVote(input.id, input.voter, input.eventId);
    if (!removed) return { ok: true, request: locked.request, withdrawn: false };
    await tx.audit(
      {
        requestId: input.id,
        actor: input.voter,
        action: "vote_withdrawn",
        detail: { decision: removed.decision },
      },
      now,
    );
    await tx.enqueue(input.id, { kind: "bot.update_request" }, now);
    return { ok: true, request: locked.request, withdrawn: true };
  });
}

export function countVotes(votes: readonly { decision: VoteDecision }[]): {
  approvals: number;
  declines: number;
} {
  let approvals = 0;
  let declines = 0;
  for (const vote of votes) {
    if (vote.decision === "approve") approvals++;
    else declines++;
  }
  return { approvals, declines };
}

// ---------------------------------------------------------------------------------------------------------------
// approved → provisioned | failed; failed → approved

/**
 * The account exists. Wipes the collected password's ciphertext in this same transaction and queues the email
 * that hands over the credentials.
 * - `credentials: "link"`: a set-password link (minted when the email is sent).
 * - `credentials: "password"`: `sealedPassword`, the one-time password sealed with secretbox, travels in the
 *   outbox row and is wiped when the email has gone.
 * - collected password: the applicant already knows it.
 */
export async function markProvisioned(
  store: RegistrationStore,
  settings: Pick<TransitionSettings, "credentials">,
  input: {
    id: RequestId;
    userId: UserId;
    actor?: Actor;
    /** The applicant chose the password themselves (form or token page). */
    passwordChosenByApplicant: boolean;
    sealedPassword?: Uint8Array;
    /** homeserver.welcomeMessage, sent by the bot to the new account. */
    welcomeMessage?: string;
  },
  now: Date,
): Promise<TransitionResult> {
  return store.transaction(async (tx) => {
    const locked = await lockFor(tx, input.id, "markProvisioned");
    if (!locked.ok) return locked;
    const updated = await tx.updateRequest(
      input.id,
      {
        state: "provisioned",
        provisionedAt: now,
        userId: input.userId,
        passwordCiphertext: null,
        failureReason: null,
      },
      now,
    );
    await tx.audit(
      {
        requestId: input.id,
        actor: actorLabel(input.actor ?? { kind: "system", name: "provisioning" }),
        action: "provisioned",
        detail: { userId: input.userId },
      },
      now,
    );
    let email: EmailEffect | null;
    if (input.passwordChosenByApplicant) {
      email = emailTo(updated, "account_ready_collected", ["status"], { userId: input.userId });
    } else if (settings.credentials === "password") {
      if (!input.sealedPassword)
        throw new Error("markProvisioned: credentials=password needs the sealed password");
      email = emailTo(updated, "account_ready_password", ["status"], { userId: input.userId });
      if (email) email.sealedSecret = input.sealedPassword;
    } else {
      email = emailTo(updated, "account_ready_link", ["set_password", "status"], { userId: input.userId });
    }
    await enqueueAll(
      tx,
      updated,
      [
        email,
        { kind: "bot.update_request" },
        input.welcomeMessage
          ? { kind: "bot.direct_message", userId: input.userId, text: input.welcomeMessage }
          : null,
      ],
      now,
    );
    return { ok: true, request: updated };
  });
}

/**
 * Token mode: the registration token exists and the applicant gets the link to our page that completes the
 * registration. The request stays `approved` until they finish; the state does not change here.
 */
export async function registrationTokenIssued(
  store: RegistrationStore,
  input: { id: RequestId },
  now: Date,
): Promise<TransitionResult> {
  return store.transaction(async (tx) => {
    const locked = await lockFor(tx, input.id, "markProvisioned");
    if (!locked.ok) return locked;
    await tx.audit({ requestId: input.id, actor: "system:provisioning", action: "token_issued" }, now);
    await enqueueAll(
      tx,
      locked.request,
      [emailTo(locked.request, "token_register", ["token_register", "status"])],
      now,
    );
    return { ok: true, request: locked.request };
  });
}

/** Provisioning failed for good (name taken elsewhere, invalid, forbidden) or ran out of retries. */
export async function markFailed(
  store: RegistrationStore,
  input: { id: RequestId; reason: string },
  now: Date,
): Promise<TransitionResult> {
  return store.transaction(async (tx) => {
    const locked = await lockFor(tx, input.id, "markFailed");
    if (!locked.ok) return locked;
    const updated = await tx.updateRequest(
      input.id,
      { state: "failed", failedAt: now, failureReason: input.reason },
      now,
    );
    await tx.audit(
      {
        requestId: input.id,
        actor: "system:provisioning",
        action: "failed",
        detail: { reason: input.reason },
      },
      now,
    );
    await tx.enqueue(input.id, { kind: "bot.update_request" }, now);
    await tx.enqueue(
      input.id,
      {
        kind: "bot.notice",
        notice: {
          type: "provisioning_failed",
          requestId: input.id,
          localpart: updated.localpart,
          reason: input.reason,
        },
      },
      now,
    );
    return { ok: true, request: updated };
  });
}

/** A moderator or operator tries a failed request again. */
export async function retry(
  store: RegistrationStore,
  input: { id: RequestId; actor: Actor; handledEventId?: string },
  now: Date,
): Promise<TransitionResult> {
  return store.transaction(async (tx) => {
    const locked = await lockFor(tx, input.id, "retry", input.handledEventId);
    if (!locked.ok) return locked;
    const updated = await tx.updateRequest(
      input.id,
      { state: "approved", failedAt: null, failureReason: null },
      now,
    );
    await tx.audit({ requestId: input.id, actor: actorLabel(input.actor), action: "retry" }, now);
    await tx.enqueue(input.id, { kind: "provision" }, now);
    await tx.enqueue(input.id, { kind: "bot.update_request" }, now);
    return { ok: true, request: updated };
  });
}

/**
 * A fresh credential link: provisioned requests get a new set-password link (older ones stop working); approved
 * requests in token mode get their registration link again.
 */
export async function resendCredentials(
  store: RegistrationStore,
  settings: Pick<TransitionSettings, "mode" | "credentials">,
  input: { id: RequestId; actor: Actor; handledEventId?: string },
  now: Date,
): Promise<TransitionResult | { ok: false; reason: "not_applicable" }> {
  return store.transaction(async (tx) => {
    const locked = await lockFor(tx, input.id, "resendCredentials", input.handledEventId);
    if (!locked.ok) return locked;
    const request = locked.request;
    let email: EmailEffect | null;
    if (request.state === "approved") {
      if (settings.mode !== "token") return { ok: false, reason: "not_applicable" };
      // Provisioning reuses the registration token while it is valid, makes a new one when not, and sends the link.
      await tx.invalidateSecretTokens(request.id, "token_register", now);
      await tx.audit(
        { requestId: request.id, actor: actorLabel(input.actor), action: "credentials_resent" },
        now,
      );
      await tx.enqueue(request.id, { kind: "provision" }, now);
      return { ok: true, request };
    } else {
      if (settings.mode === "token") return { ok: false, reason: "not_applicable" };
      await tx.invalidateSecretTokens(request.id, "set_password", now);
      email = emailTo(request, "password_link_resent", ["set_password", "status"], {
        userId: request.userId,
      });
    }
    await tx.audit(
      { requestId: request.id, actor: actorLabel(input.actor), action: "credentials_resent" },
      now,
    );
    await enqueueAll(tx, request, [email], now);
    return { ok: true, request };
  });
}

/** The bot posted the request's message: remember where, so reactions and edits find it. */
export async function attachRoomMessage(
  store: RegistrationStore,
  input: { id: RequestId; roomId: string; eventId: string },
  now: Date,
): Promise<TransitionResult> {
  return store.transaction(async (tx) => {
    const request = await tx.lockRequest(input.id);
    if (!request) return { ok: false, reason: "not_found" };
    const updated = await tx.updateRequest(
      input.id,
      { roomId: input.roomId, roomEventId: input.eventId },
      now,
    );
    return { ok: true, request: updated };
  });
}
