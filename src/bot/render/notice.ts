// Notices in the moderators' room that come from the outbox (structured in the domain, worded here).
import type { BotNotice } from "../../registration/side-effects.ts";
import { list, plain, type RenderedMessage } from "./content.ts";
import type { RenderContext } from "./context.ts";
import { userIdText } from "./request.ts";

export function renderNotice(notice: BotNotice, r: RenderContext): RenderedMessage {
  const m = r.messages.notices;
  switch (notice.type) {
    case "provisioning_failed":
      return plain(
        m.provisioningFailed(
          notice.requestId,
          notice.localpart,
          notice.reason,
          `${r.prefix}retry ${notice.requestId}`,
        ),
      );
    case "reminder":
      return list(
        m.reminderHeader(notice.requests.length, notice.afterHours),
        notice.requests.map((request) =>
          m.reminderLine(
            request.id,
            userIdText(request.localpart, r),
            r.messages.time(new Date(request.waitingSince)),
          ),
        ),
      );
  }
}
