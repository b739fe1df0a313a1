// Deciding requests: the one entry for the bot (reactions, !approve/!decline), the portal and the CLI. Moderators
// (room, portal) vote and a quorum decides; an operator at the CLI decides at once. The state changes, audit rows
// and side effects are the registration transitions'; this layer validates the input once and picks the transition.
import { cleanText } from "../registration/policy.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import {
  approve,
  castVote,
  decline,
  resendCredentials,
  retry,
  type Refusal,
  type TransitionSettings,
} from "../registration/transitions.ts";
import { parseRequestId, type Actor, type RegistrationRequest } from "../registration/types.ts";
import { invalid, type Invalid } from "./input.ts";

export interface DecisionDeps {
  store: RegistrationStore;
  settings: TransitionSettings;
  clock: () => Date;
}

export interface DecideInput {
  /** The request: 12, "12" or "#12". */
  id: string | number;
  decision: "approve" | "decline";
  /** Recorded, shown in the room and sent to the applicant (declines). */
  reason?: string | null;
  /** A message for the applicant, added to the decline email. */
  message?: string | null;
  /** A moderator's vote: by reaction or by command (default). Ignored for other actors. */
  via?: "reaction" | "command";
  /** The Matrix event that carried the vote (a reaction, so redacting it withdraws the vote). */
  eventId?: string | null;
  /** The Matrix event claimed in the same transaction, so a replay after a restart changes nothing twice. */
  handledEventId?: string;
}

export type DecideResult =
  | {
      ok: true;
      request: RegistrationRequest;
      /** decided, or (a vote) recorded while the quorum is not reached yet, or unchanged (the same vote again). */
      outcome: "approved" | "declined" | "recorded" | "unchanged";
      approvals: number | null;
      declines: number | null;
    }
  | Refusal
  | Invalid<"id" | "reason" | "message">;

function requestIdOf(id: string | number) {
  const parsed = parseRequestId(id);
  return parsed
    ? { ok: true as const, id: parsed }
    : invalid("id", String(id), `"${id}" is not a request number`);
}

function text(value: string | null | undefined, multiline: boolean, max: number) {
  const cleaned = cleanText(value ?? "", { multiline, max });
  if (!cleaned.ok) return null;
  return { value: cleaned.value === "" ? null : cleaned.value };
}

export async function decide(deps: DecisionDeps, actor: Actor, input: DecideInput): Promise<DecideResult> {
  const id = requestIdOf(input.id);
  if (!id.ok) return id;
  const reason = text(input.reason, false, 500);
  if (!reason)
    return invalid(
      "reason",
      input.reason ?? "",
      "the reason is longer than 500 characters or has control characters",
    );
  const message = text(input.message, true, 2000);
  if (!message)
    return invalid(
      "message",
      input.message ?? "",
      "the message is longer than 2000 characters or has control characters",
    );
  const now = deps.clock();
  const handled = input.handledEventId === undefined ? {} : { handledEventId: input.handledEventId };

  if (actor.kind === "moderator" || actor.kind === "portal") {
    const result = await castVote(
      deps.store,
      deps.settings,
      {
        id: id.id,
        voter: actor.userId,
        decision: input.decision,
        source: actor.kind === "portal" ? "portal" : (input.via ?? "command"),
        eventId: input.eventId ?? null,
        reason: input.decision === "decline" ? reason.value : null,
        message: input.decision === "decline" ? message.value : null,
        ...handled,
      },
      now,
    );
    return result;
  }
  const result =
    input.decision === "approve"
      ? await approve(deps.store, { id: id.id, actor, ...handled }, now)
      : await decline(deps.store, { id: id.id, actor, reason: reason.value, ...handled }, now);
  if (!result.ok) return result;
  return {
    ok: true,
    request: result.request,
    outcome: input.decision === "approve" ? "approved" : "declined",
    approvals: null,
    declines: null,
  };
}

export type RetryResult = { ok: true; request: RegistrationRequest } | Refusal | Invalid<"id">;

/** Provisions a failed request again. */
export async function retryRequest(
  deps: DecisionDeps,
  actor: Actor,
  input: { id: string | number; handledEventId?: string },
): Promise<RetryResult> {
  const id = requestIdOf(input.id);
  if (!id.ok) return id;
  return retry(
    deps.store,
    {
      id: id.id,
      actor,
      ...(input.handledEventId === undefined ? {} : { handledEventId: input.handledEventId }),
    },
    deps.clock(),
  );
}

export type ResendResult =
  | { ok: true; request: RegistrationRequest }
  | Refusal
  /** Nothing to resend for this request in this mode. */
  | { ok: false; reason: "not_applicable" }
  | Invalid<"id">;

/** Sends the applicant's credentials (set-password or registration link) again; older links stop working. */
export async function resend(
  deps: DecisionDeps,
  actor: Actor,
  input: { id: string | number; handledEventId?: string },
): Promise<ResendResult> {
  const id = requestIdOf(input.id);
  if (!id.ok) return id;
  return resendCredentials(
    deps.store,
    deps.settings,
    {
      id: id.id,
      actor,
      ...(input.handledEventId === undefined ? {} : { handledEventId: input.handledEventId }),
    },
    deps.clock(),
  );
}
