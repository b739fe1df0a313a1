// Answers of the request commands.
import type { RequestReply } from "../commands/requests.ts";
import { list, plain, type RenderedMessage } from "./content.ts";
import type { RenderContext } from "./context.ts";
import { renderRequest, requestLine } from "./request.ts";

export function renderRequestReply(reply: RequestReply, r: RenderContext): RenderedMessage {
  const m = r.messages.requests;
  switch (reply.type) {
    case "decided":
      return plain(reply.outcome === "approved" ? m.approved(reply.id) : m.declined(reply.id));
    case "vote_recorded":
      return plain(
        reply.decision === "approve"
          ? m.approveRecorded(reply.id, reply.approvals, r.approvalsRequired)
          : m.declineRecorded(reply.id, reply.declines, r.declinesRequired),
      );
    case "retrying":
      return plain(m.retrying(reply.id));
    case "resent":
      return plain(m.resent(reply.id));
    case "not_found":
      return plain(m.notFound(reply.id));
    case "wrong_state":
      return plain(m.wrongState(reply.id, r.messages.stateLabel[reply.state]));
    case "not_applicable":
      return plain(m.resendNotApplicable(reply.id));
    case "invalid":
      return plain(r.messages.arguments.refused(reply.value));
    case "already_handled":
      return plain(
        m.alreadyHandled(reply.id, reply.state === null ? null : r.messages.stateLabel[reply.state]),
      );
    case "pending":
      return reply.requests.length === 0
        ? plain(m.noPending)
        : list(
            m.pendingHeader(reply.requests.length),
            reply.requests.map((request) => requestLine(request, r)),
          );
    case "show":
      return renderRequest(reply.request, reply.votes, r);
  }
}
