// Deciding and handling registration requests: !approve, !decline, !pending, !show, !retry, !resend. The ones that
// change a request go through its transition with the command's event id, which the transition claims in its own
// transaction: a replayed event (after a restart) changes nothing twice and is answered from the current state.
import type { RegistrationStore } from "../../registration/ports.ts";
import {
  castVote,
  resendCredentials,
  retry,
  type Refusal,
  type TransitionSettings,
} from "../../registration/transitions.ts";
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

export interface RequestCommandDeps {
  store: RegistrationStore;
  settings: TransitionSettings;
}

/** What a request command did, for rendering. */
export type RequestReply =
  | { type: "decided"; id: RequestId; outcome: "approved" | "declined" }
  | { type: "vote_recorded"; id: RequestId; decision: VoteDecision; approvals: number; declines: number }
  | { type: "retrying"; id: RequestId }
  | { type: "resent"; id: RequestId }
  | { type: "not_found"; id: RequestId }
  | { type: "wrong_state"; id: RequestId; state: RequestState }
  | { type: "not_applicable"; id: RequestId }
  /** The event was handled before (a replay): the answer says where the request stands now. */
  | { type: "already_handled"; id: RequestId; state: RequestState | null }
  | { type: "pending"; requests: RegistrationRequest[] }
  | { type: "show"; request: RegistrationRequest; votes: Vote[] };

const id = requestIdParam(parseRequestId);
/** Goes into the applicant's email; the domain keeps it as typed. */
const reason = optional(restOfLine("reason", { max: 500, multiline: true }));

async function refused(
  deps: RequestCommandDeps,
  requestId: RequestId,
  refusal: Refusal | { ok: false; reason: "not_applicable" },
): Promise<RequestReply> {
  switch (refusal.reason) {
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
    const result = await castVote(
      deps.store,
      deps.settings,
      {
        id: input.id,
        voter: ctx.sender,
        decision,
        source: "command",
        reason: input.reason ?? null,
        handledEventId: ctx.eventId,
      },
      ctx.now,
    );
    if (!result.ok) return refused(deps, input.id, result);
    if (result.outcome === "approved" || result.outcome === "declined")
      return { type: "decided", id: input.id, outcome: result.outcome } satisfies RequestReply;
    return {
      type: "vote_recorded",
      id: input.id,
      decision,
      approvals: result.approvals,
      declines: result.declines,
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
        const result = await retry(
          deps.store,
          { id: input.id, actor: { kind: "moderator", userId: ctx.sender }, handledEventId: ctx.eventId },
          ctx.now,
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
        const result = await resendCredentials(
          deps.store,
          deps.settings,
          { id: input.id, actor: { kind: "moderator", userId: ctx.sender }, handledEventId: ctx.eventId },
          ctx.now,
        );
        return result.ok ? { type: "resent", id: input.id } : refused(deps, input.id, result);
      },
      render: renderRequestReply,
    }),
  ];
}
