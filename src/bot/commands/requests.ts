// Deciding and handling registration requests: !approve, !decline, !pending, !show, !retry, !resend. The ones that
// change a request go through the moderation core (decide, retryRequest, resend) with the command's event id,
// which the request's transition claims in its own transaction: a replayed event (after a restart) changes nothing
// twice and is answered from the current state.
import type { DecisionDeps } from "../../moderation/decisions.ts";
import { decide, resend, retryRequest, type Invalid } from "../../moderation/index.ts";
import type { Refusal } from "../../registration/transitions.ts";
import {
  parseRequestId,
  type RegistrationRequest,
  type RequestId,
  type RequestState,
  type Vote,
  type VoteDecision,
} from "../../registration/types.ts";
import { renderRequestReply } from "../render/requests.ts";
import {
  defineCommand,
  optional,
  requestIdParam,
  restOfLine,
  type Command,
  type CommandContext,
} from "./framework.ts";

export type RequestCommandDeps = DecisionDeps;

/** What a request command did, for rendering. */
export type RequestReply =
  | { type: "decided"; id: RequestId; outcome: "approved" | "declined" }
  | { type: "vote_recorded"; id: RequestId; decision: VoteDecision; approvals: number; declines: number }
  | { type: "retrying"; id: RequestId }
  | { type: "resent"; id: RequestId }
  | { type: "not_found"; id: RequestId }
  | { type: "wrong_state"; id: RequestId; state: RequestState }
  | { type: "not_applicable"; id: RequestId }
  /** The core refused a value the parameters let through (its rules are the last word). */
  | { type: "invalid"; value: string }
  /** The event was handled before (a replay): the answer says where the request stands now. */
  | { type: "already_handled"; id: RequestId; state: RequestState | null }
  | { type: "pending"; requests: RegistrationRequest[] }
  | { type: "show"; request: RegistrationRequest; votes: Vote[] };

const id = requestIdParam(parseRequestId);
/** Goes into the applicant's email: one line, as the portal and the CLI take it. */
const reason = optional(restOfLine("reason", { max: 500, multiline: false }));

async function refused(
  deps: RequestCommandDeps,
  requestId: RequestId,
  refusal: Refusal | { ok: false; reason: "not_applicable" } | Invalid,
): Promise<RequestReply> {
  switch (refusal.reason) {
    case "invalid":
      return { type: "invalid", value: refusal.value };
    case "not_found":
      return { type: "not_found", id: requestId };
    case "wrong_state":
      return { type: "wrong_state", id: requestId, state: refusal.state };
    case "not_applicable":
      return { type: "not_applicable", id: requestId };
    case "duplicate":
      return {
        type: "already_handled",
        id: requestId,
        state: (await deps.store.getRequest(requestId))?.state ?? null,
      };
  }
}

function vote(deps: RequestCommandDeps, decision: VoteDecision) {
  return async (input: { id: RequestId; reason?: string | undefined }, ctx: CommandContext) => {
    const result = await decide(
      deps,
      { kind: "moderator", userId: ctx.sender },
      { id: input.id, decision, reason: input.reason ?? null, via: "command", handledEventId: ctx.eventId },
    );
    if (!result.ok) return refused(deps, input.id, result);
    if (result.outcome === "approved" || result.outcome === "declined")
      return { type: "decided", id: input.id, outcome: result.outcome } satisfies RequestReply;
    return {
      type: "vote_recorded",
      id: input.id,
      decision,
      approvals: result.approvals ?? 0,
      declines: result.declines ?? 0,
    } satisfies RequestReply;
  };
}

export function requestCommands(deps: RequestCommandDeps): Command[] {
  return [
    defineCommand({
      id: "approve",
      params: { id },
      permission: "moderator",
      claim: "transaction",
      run: vote(deps, "approve"),
      render: renderRequestReply,
    }),
    defineCommand({
      id: "decline",
      params: { id, reason },
      permission: "moderator",
      claim: "transaction",
      run: vote(deps, "decline"),
      render: renderRequestReply,
    }),
    defineCommand({
      id: "pending",
      params: {},
      permission: "moderator",
      claim: "after",
      async run(): Promise<RequestReply> {
        const pending = await deps.store.listRequests({ states: ["pending"], limit: 50 });
        return { type: "pending", requests: pending.reverse() };
      },
      render: renderRequestReply,
    }),
    defineCommand({
      id: "show",
      params: { id },
      permission: "moderator",
      claim: "after",
      async run(input): Promise<RequestReply> {
        const request = await deps.store.getRequest(input.id);
        if (!request) return { type: "not_found", id: input.id };
        return { type: "show", request, votes: await deps.store.listVotes(request.id) };
      },
      render: renderRequestReply,
    }),
    defineCommand({
      id: "retry",
      params: { id },
      permission: "moderator",
      claim: "transaction",
      async run(input, ctx): Promise<RequestReply> {
        const result = await retryRequest(
          deps,
          { kind: "moderator", userId: ctx.sender },
          { id: input.id, handledEventId: ctx.eventId },
        );
        return result.ok ? { type: "retrying", id: input.id } : refused(deps, input.id, result);
      },
      render: renderRequestReply,
    }),
    defineCommand({
      id: "resend",
      params: { id },
      permission: "moderator",
      claim: "transaction",
      async run(input, ctx): Promise<RequestReply> {
        const result = await resend(
          deps,
          { kind: "moderator", userId: ctx.sender },
          { id: input.id, handledEventId: ctx.eventId },
        );
        return result.ok ? { type: "resent", id: input.id } : refused(deps, input.id, result);
      },
      render: renderRequestReply,
    }),
  ];
}
