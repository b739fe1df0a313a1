// !login: a one-time sign-in link to the web portal (the moderation core's issuePortalLogin), sent by direct
// message. Claim rule "after": a replay (crash between the direct message and the claim) issues another link, but
// the direct message carries the same transaction id, so the homeserver drops it and the moderator keeps the
// first link; the unused second one expires unused.
import { issuePortalLogin } from "../../moderation/index.ts";
import type { PortalDeps } from "../../moderation/portal-sessions.ts";
import type { EventId, UserId } from "../../registration/types.ts";
import { renderPortalReply } from "../render/portal.ts";
import { defineCommand, type Command } from "./framework.ts";

export interface PortalCommandDeps {
  portal: Pick<PortalDeps, "portalSessions" | "portal" | "clock">;
  /** Sends the link by direct message (worded from the catalog by the session); `eventId` keys the send. */
  sendLoginLink(userId: UserId, link: string, validMinutes: number, eventId: EventId): Promise<void>;
}

export type PortalReply = { type: "link_sent"; userId: UserId } | { type: "invalid"; value: string };

export function portalCommands(deps: PortalCommandDeps): Command[] {
  return [
    defineCommand({
      id: "login",
      params: {},
      permission: "moderator",
      claim: "after",
      async run(_input, ctx): Promise<PortalReply> {
        const issued = await issuePortalLogin(deps.portal, { kind: "moderator", userId: ctx.sender });
        if (!issued.ok) return { type: "invalid", value: issued.value };
        const minutes = Math.round((issued.expiresAt.getTime() - ctx.now.getTime()) / 60_000);
        await deps.sendLoginLink(issued.userId, issued.url, minutes, ctx.eventId);
        return { type: "link_sent", userId: issued.userId };
      },
      render: renderPortalReply,
    }),
  ];
}
