// !help: every command with its usage and summary; !help COMMAND: the command (or group) and who may run it.
import { usageOf, type Command } from "../commands/framework.ts";
import type { HelpReply } from "../commands/help.ts";
import { plain, type RenderedMessage } from "./content.ts";
import { labelOf, type RenderContext } from "./context.ts";

function line(command: Command, r: RenderContext): string {
  return `${r.prefix}${usageOf(command, labelOf(r))} — ${r.messages.summaries[command.id]}`;
}

export function renderHelpReply(reply: HelpReply, r: RenderContext): RenderedMessage {
  const m = r.messages.help;
  if (reply.type === "all")
    return plain([m.header(r.prefix), ...r.commands.map((c) => line(c, r)), m.footer].join("\n"));
  const name = reply.name.startsWith(r.prefix) ? reply.name.slice(r.prefix.length) : reply.name;
  const matches = r.commands.filter((c) => c.id === name || c.id.startsWith(`${name} `));
  if (matches.length === 0) return plain(r.messages.refusals.unknownCommand(r.prefix, name));
  return plain(
    matches
      .map(
        (c) =>
          `${line(c, r)}\n  ${m.whoMay(r.messages.permissions.who[c.permission], r.moderatorPowerLevel)}`,
      )
      .join("\n"),
  );
}
