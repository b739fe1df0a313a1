// The request's message in the moderators' room: everything a moderator needs to decide, and how; worded from the
// catalog. Also the one-line form used by !pending and reminders.
import { countVotes } from "../../registration/transitions.ts";
import { displayNameOf, type RegistrationRequest, type Vote } from "../../registration/types.ts";
import { escapeHtml, type RenderedMessage } from "./content.ts";
import type { RenderContext } from "./context.ts";

/** Lines of [label, value]; rendered as "Label: value" in text and <b>Label</b>: value in HTML. */
function fields(rows: [string, string | null][]): RenderedMessage {
  const present = rows.filter((row): row is [string, string] => row[1] !== null && row[1] !== "");
  return {
    body: present.map(([k, v]) => `${k}: ${v}`).join("\n"),
    html: present
      .map(([k, v]) => `<b>${escapeHtml(k)}</b>: ${escapeHtml(v).replace(/\n/g, "<br>")}`)
      .join("<br>\n"),
  };
}

function status(request: RegistrationRequest, votes: readonly Vote[], r: RenderContext): string {
  const m = r.messages.request;
  const who = request.decidedBy ?? "?";
  switch (request.state) {
    case "pending": {
      const { approvals, declines } = countVotes(votes);
      const voters = votes.map((v) => `${v.decision === "approve" ? "✅" : "❌"} ${v.voter}`).join(", ");
      return m.waiting(approvals, r.approvalsRequired, declines, r.declinesRequired, voters);
    }
    case "approved":
      return m.approvedBy(who);
    case "provisioned":
      return m.provisionedBy(who, request.userId ?? "");
    case "declined":
      return m.declinedBy(who, request.decisionReason);
    case "failed":
      return m.failedAfterApproval(who, request.failureReason, `${r.prefix}retry ${request.id}`);
    case "unverified":
      return r.messages.stateLabel.unverified;
  }
}

export function userIdText(localpart: string, r: RenderContext): string {
  return `@${localpart}:${r.serverName}`;
}

/**
 * What the applicant typed is fenced off from what Vestibule says (issue 17 finding 8): the status comes first,
 * right under the title; the name is quoted (names cannot hold line breaks or invisible formatting, see
 * cleanText); the note is a quote block — every line of it starts with "> " in the text body and sits in a
 * <blockquote> in HTML — so a note that says "Status: ✅ Approved" reads as a quote, never as a line of ours.
 */
export function renderRequest(
  request: RegistrationRequest,
  votes: readonly Vote[],
  r: RenderContext,
): RenderedMessage {
  const m = r.messages.request;
  const title = m.title(request.id, userIdText(request.localpart, r));
  const details = fields([
    [m.status, status(request, votes, r)],
    [m.submitted, r.messages.time(request.createdAt)],
    [m.name, `“${displayNameOf(request)}”`],
    [m.email, request.email],
  ]);
  const note = request.note ? request.note.split("\n") : [];
  const how =
    request.state === "pending" ? m.howToDecide(r.prefix, r.approvalsRequired, r.declinesRequired) : "";
  return {
    body: [
      title,
      details.body,
      note.length ? [`${m.note}:`, ...note.map((line) => `> ${line}`)].join("\n") : "",
      how,
    ]
      .filter(Boolean)
      .join("\n"),
    html: [
      `<p><b>${escapeHtml(title)}</b></p>`,
      `<p>${details.html}</p>`,
      note.length
        ? `<p><b>${escapeHtml(m.note)}</b>:</p>\n<blockquote>${note.map(escapeHtml).join("<br>")}</blockquote>`
        : "",
      how ? `<p><i>${escapeHtml(how)}</i></p>` : "",
    ]
      .filter(Boolean)
      .join("\n"),
  };
}

/** One line per request (!pending). */
export function requestLine(request: RegistrationRequest, r: RenderContext): string {
  return r.messages.request.line(
    request.id,
    userIdText(request.localpart, r),
    displayNameOf(request),
    r.messages.time(request.verifiedAt ?? request.createdAt),
  );
}
