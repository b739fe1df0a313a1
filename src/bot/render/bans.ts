// Answers of !ban, !unban and !bans.
import type { BanReply } from "../commands/bans.ts";
import { plain, type RenderedMessage } from "./content.ts";
import type { RenderContext } from "./context.ts";

export function renderBanReply(reply: BanReply, r: RenderContext): RenderedMessage {
  const m = r.messages.bans;
  switch (reply.type) {
    case "banned":
      return plain(
        m.banned({
          created: reply.created,
          id: reply.ban.id,
          kind: reply.ban.kind,
          value: reply.ban.value,
          duration: reply.durationMs === null ? null : r.messages.duration(reply.durationMs),
          reason: reply.ban.reason,
        }),
      );
    case "invalid_value":
      return plain(m.invalidValue(reply.kind, reply.value));
    case "invalid":
      return plain(r.messages.arguments.refused(reply.value));
    case "lifted":
      return plain(m.lifted);
    case "already_handled":
      return plain(r.messages.requests.alreadyHandled(0, null));
    case "no_such_ban":
      return plain(m.noSuchBan(`${r.prefix}bans`));
    case "list":
      return plain(
        reply.bans.length === 0
          ? m.none
          : [
              m.listHeader(reply.bans.length),
              ...reply.bans.map((ban) =>
                m.line({
                  id: ban.id,
                  kind: ban.kind,
                  value: ban.value,
                  until: ban.expiresAt ? r.messages.time(ban.expiresAt) : null,
                  createdBy: ban.createdBy,
                  reason: ban.reason,
                }),
              ),
            ].join("\n"),
      );
  }
}
