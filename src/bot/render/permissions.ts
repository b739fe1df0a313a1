// Answers of !allow, !disallow and !allowed.
import type { PermissionReply } from "../commands/permissions.ts";
import { plain, type RenderedMessage } from "./content.ts";
import type { RenderContext } from "./context.ts";

export function renderPermissionReply(reply: PermissionReply, r: RenderContext): RenderedMessage {
  const m = r.messages.permissions;
  const command = `${r.prefix}token`;
  switch (reply.type) {
    case "allowed":
      return plain(reply.added ? m.allowed(reply.subject, command) : m.alreadyAllowed(reply.subject));
    case "disallowed":
      return plain(reply.removed ? m.disallowed(reply.subject, command) : m.notListed(reply.subject));
    case "invalid":
      return plain(r.messages.arguments.refused(reply.value));
    case "list":
      return plain(
        reply.permissions.length === 0
          ? m.onlyModerators
          : [
              m.listHeader,
              ...reply.permissions.map((p) =>
                m.listLine(p.isPattern ? `/${p.subject}/` : p.subject, p.createdBy),
              ),
            ].join("\n"),
      );
  }
}
