// Room messages for requests: an HTML body with an accurate plain-text twin, built from one description.
import { countVotes } from "../registration/transitions.ts";
import { displayNameOf, type RegistrationRequest, type Vote } from "../registration/types.ts";
import { botText } from "./messages.ts";

export interface RenderOptions {
  serverName: string;
  prefix: string;
  approvalsRequired: number;
  declinesRequired: number;
}

export interface RenderedMessage {
  body: string;
  html: string;
}

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function time(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Lines of [label, value]; rendered as "Label: value" in text and <b>Label</b>: value in HTML. */
function fields(rows: [string, string | null][]): RenderedMessage {
  const present = rows.filter((r): r is [string, string] => r[1] !== null && r[1] !== "");
  return {
    body: present.map(([k, v]) => `${k}: ${v}`).join("\n"),
    html: present
      .map(([k, v]) => `<b>${escapeHtml(k)}</b>: ${escapeHtml(v).replace(/\n/g, "<br>")}`)
      .join("<br>\n"),
  };
}

function outcome(request: RegistrationRequest, votes: readonly Vote[], options: RenderOptions): string {
  const { approvals, declines } = countVotes(votes);
  switch (request.state) {
    case "pending": {
      const voters = votes.map((v) => `${v.decision === "approve" ? "✅" : "❌"} ${v.voter}`).join(", ");
      return `Waiting for a decision — ${approvals}/${options.approvalsRequired} approvals, ${declines}/${options.declinesRequired} declines${voters ? ` (${voters})` : ""}`;
    }
    case "approved":
      return `✅ Approved by ${request.decidedBy ?? "?"} — creating the account`;
    case "provisioned":
      return `✅ Approved by ${request.decidedBy ?? "?"} — account ${request.userId ?? ""} created`;
    case "declined":
      return `❌ Declined by ${request.decidedBy ?? "?"}${request.decisionReason ? `: ${request.decisionReason}` : ""}`;
    case "failed":
      return `⚠️ Approved by ${request.decidedBy ?? "?"}, but the account could not be created: ${request.failureReason ?? "unknown error"} — send ${options.prefix}retry ${request.id}`;
    case "unverified":
      return botText.stateLabel.unverified;
  }
}

/** The request's message: everything a moderator needs to decide, and how. */
export function renderRequest(
  request: RegistrationRequest,
  votes: readonly Vote[],
  options: RenderOptions,
): RenderedMessage {
  const title = `Sign-up request #${request.id}: @${request.localpart}:${options.serverName}`;
  const details = fields([
    ["Name", displayNameOf(request)],
    ["Email", request.email],
    ["Note", request.note],
    ["Submitted", time(request.createdAt)],
    ["Status", outcome(request, votes, options)],
  ]);
  const how =
    request.state === "pending"
      ? botText.howToDecide(options.prefix, options.approvalsRequired, options.declinesRequired)
      : "";
  return {
    body: [title, details.body, how].filter(Boolean).join("\n"),
    html: [
      `<p><b>${escapeHtml(title)}</b></p>`,
      `<p>${details.html}</p>`,
      how ? `<p><i>${escapeHtml(how)}</i></p>` : "",
    ].join("\n"),
  };
}

/** One line per request for !pending and reminders. */
export function renderList(
  header: string,
  requests: readonly RegistrationRequest[],
  serverName: string,
): RenderedMessage {
  const line = (r: RegistrationRequest) =>
    `#${r.id} @${r.localpart}:${serverName} — ${displayNameOf(r)} — since ${time(r.verifiedAt ?? r.createdAt)}`;
  return {
    body: [header, ...requests.map((r) => `• ${line(r)}`)].join("\n"),
    html: `<p>${escapeHtml(header)}</p><ul>${requests.map((r) => `<li>${escapeHtml(line(r))}</li>`).join("")}</ul>`,
  };
}

/** Message content for an m.notice with HTML. */
export function noticeContent(message: RenderedMessage): Record<string, unknown> {
  return {
    msgtype: "m.notice",
    body: message.body,
    format: "org.matrix.custom.html",
    formatted_body: message.html,
  };
}

/** An m.replace edit of an earlier message (PROTOCOLS.md §5). */
export function editContent(originalEventId: string, message: RenderedMessage): Record<string, unknown> {
  return {
    msgtype: "m.notice",
    body: `* ${message.body}`,
    format: "org.matrix.custom.html",
    formatted_body: `* ${message.html}`,
    "m.new_content": noticeContent(message),
    "m.relates_to": { rel_type: "m.replace", event_id: originalEventId },
  };
}

/** A plain notice (text only). */
export function plain(text: string): RenderedMessage {
  return { body: text, html: escapeHtml(text).replace(/\n/g, "<br>") };
}
