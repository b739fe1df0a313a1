// Answer of !login (the link itself goes by direct message).
import type { PortalReply } from "../commands/portal.ts";
import { plain, type RenderedMessage } from "./content.ts";
import type { RenderContext } from "./context.ts";

export function renderPortalReply(reply: PortalReply, r: RenderContext): RenderedMessage {
  return plain(
    reply.type === "link_sent"
      ? r.messages.portal.linkSent(reply.userId)
      : r.messages.arguments.refused(reply.value),
  );
}
