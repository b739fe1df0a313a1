// !login: a one-time link to the web portal, valid 10 minutes, bound to the moderator, sent by direct message.
// Claim rule "after": a replay (crash between the direct message and the claim) mints another link, but the direct
// message carries the same transaction id, so the homeserver drops it and the moderator keeps the first link; the
// unused second one expires with its 10 minutes.
import { hashToken, randomToken } from "../../crypto/tokens.ts";
import type { Db } from "../../db/database.ts";
import { insertSecretToken } from "../../db/secret-token.repository.ts";
import type { EventId, UserId } from "../../registration/types.ts";
import { renderPortalReply } from "../render/portal.ts";
import { defineCommand, type Command } from "./framework.ts";

export const PORTAL_LINK_MINUTES = 10;

export interface PortalCommandDeps {
  db: Db;
  publicUrl: string;
  /** Sends the link by direct message (worded from the catalog by the session); `eventId` keys the send. */
  sendLoginLink(userId: UserId, link: string, eventId: EventId): Promise<void>;
}

export type PortalReply = { type: "link_sent"; userId: UserId };

export function portalCommands(deps: PortalCommandDeps): Command[] {
  return [
    defineCommand({
      id: "login",
      params: {},
      permission: "moderator",
      claim: "after",
      async run(_input, ctx): Promise<PortalReply> {
        const token = randomToken();
        await insertSecretToken(deps.db, {
          hash: hashToken(token),
          purpose: "admin_login",
          requestId: null,
          subject: ctx.sender,
          expiresAt: new Date(ctx.now.getTime() + PORTAL_LINK_MINUTES * 60_000),
          now: ctx.now,
        });
        const link = `${deps.publicUrl.replace(/\/+$/, "")}/admin/login/${token}`;
        await deps.sendLoginLink(ctx.sender, link, ctx.eventId);
        return { type: "link_sent", userId: ctx.sender };
      },
      render: renderPortalReply,
    }),
  ];
}
