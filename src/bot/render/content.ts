// Matrix message content for what the bot says: an HTML body with an accurate plain-text twin.

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

/** A plain notice (text only; line breaks kept in the HTML twin). */
export function plain(text: string): RenderedMessage {
  return { body: text, html: escapeHtml(text).replace(/\n/g, "<br>") };
}

/** A header line and a bulleted list. */
export function list(header: string, items: readonly string[]): RenderedMessage {
  return {
    body: [header, ...items.map((item) => `• ${item}`)].join("\n"),
    html: `<p>${escapeHtml(header)}</p><ul>${items.map((item) => `<li>${escapeHtml(item).replace(/\n/g, "<br>")}</li>`).join("")}</ul>`,
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

/** A notice that answers an event (a reply, so clients show what it answers). */
export function replyContent(eventId: string, message: RenderedMessage): Record<string, unknown> {
  return { ...noticeContent(message), "m.relates_to": { "m.in_reply_to": { event_id: eventId } } };
}
