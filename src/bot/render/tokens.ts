// Answers of the !token commands.
import type { TokenView } from "../../moderation/index.ts";
import type { TokenReply } from "../commands/tokens.ts";
import { plain, type RenderedMessage } from "./content.ts";
import type { RenderContext } from "./context.ts";

/** One token: its state, uses, expiry, origin and invite link. */
export function describeToken(t: TokenView, r: RenderContext): string {
  const m = r.messages.tokens;
  const now = r.now.getTime();
  const expiry =
    t.expiryTime === null
      ? m.neverExpires
      : t.expiryTime <= now
        ? m.expired
        : m.expiresIn(r.messages.duration(t.expiryTime - now));
  return m.line({
    token: t.token,
    valid: t.valid,
    used: t.completed,
    allowed: t.usesAllowed,
    inProgress: t.pending,
    expiry,
    createdBy: t.createdBy,
    note: t.note,
    inviteUrl: t.inviteUrl,
  });
}

export function renderTokenReply(reply: TokenReply, r: RenderContext): RenderedMessage {
  const m = r.messages.tokens;
  switch (reply.type) {
    case "not_configured":
      return plain(m.notConfigured);
    case "invalid":
      return plain(r.messages.arguments.refused(reply.value));
    case "created":
      return plain(`${m.created}\n${describeToken(reply.token, r)}`);
    case "list":
      return plain(
        reply.tokens.length === 0
          ? m.noneValid
          : [m.listHeader(reply.tokens.length), ...reply.tokens.map((t) => describeToken(t, r))].join("\n"),
      );
    case "shown":
      return plain(
        [
          describeToken(reply.token, r),
          ...reply.token.usedBy.map((u) => m.usedBy(u.userId, r.messages.time(u.usedAt))),
        ].join("\n"),
      );
    case "no_such_token":
      return plain(m.noSuchToken(reply.token));
    case "deleted":
      return plain(
        [
          reply.deleted.length > 0 ? m.deleted(reply.deleted) : "",
          reply.missing.length > 0 ? m.missing(reply.missing) : "",
        ]
          .filter(Boolean)
          .join(" "),
      );
    case "confirm_delete_all":
      return plain(m.confirmDeleteAll(reply.count, `${r.prefix}token delete-all confirm`));
    case "nothing_to_confirm":
      return plain(m.nothingToConfirm(`${r.prefix}token delete-all`));
    case "deleted_all":
      return plain(m.deletedAll(reply.count));
  }
}
