// !help and !help COMMAND: generated from the command definitions (usage from the parameters, summaries from the
// catalog), so the help cannot drift from what the parser accepts.
import { renderHelpReply } from "../render/help.ts";
import { defineCommand, optional, variadic, word, type Command } from "./framework.ts";

export type HelpReply = { type: "all" } | { type: "topic"; name: string };

export function helpCommands(): Command[] {
  return [
    defineCommand({
      id: "help",
      params: { command: optional(variadic(word("command", "command", (w) => w.toLowerCase()))) },
      permission: "anyone",
      claim: "after",
      run(input): Promise<HelpReply> {
        return Promise.resolve(
          input.command === undefined ? { type: "all" } : { type: "topic", name: input.command.join(" ") },
        );
      },
      render: renderHelpReply,
    }),
  ];
}
