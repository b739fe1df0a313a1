// What the bot answers when a command does not run: its arguments could not be read, the sender may not run it,
// there is no such command, or it failed (public message and an incident id; the full error is in the log).
import { AppError } from "../../errors.ts";
import { usageOf, type ArgumentProblem, type Command } from "../commands/framework.ts";
import { plain, type RenderedMessage } from "./content.ts";
import { labelOf, type RenderContext } from "./context.ts";

function usageLine(command: Command, r: RenderContext): string {
  return `${r.prefix}${usageOf(command, labelOf(r))}`;
}

export function renderArgumentProblem(
  problem: ArgumentProblem,
  command: Command,
  r: RenderContext,
): RenderedMessage {
  const m = r.messages.arguments;
  const label = labelOf(r);
  let text: string;
  switch (problem.type) {
    case "missing_request":
      text = m.missingRequest(`${r.prefix}${command.id}`);
      break;
    case "missing":
      text = m.missing(label(problem.param));
      break;
    case "invalid":
      text = m.invalid[problem.kind](problem.value, label(problem.param));
      break;
    case "too_long":
      text = m.tooLong(label(problem.param), problem.max);
      break;
    case "control_characters":
      text = m.controlCharacters(label(problem.param));
      break;
    case "unexpected":
      text = m.unexpected(problem.value);
      break;
  }
  return plain(`${text}\n${m.usage(usageLine(command, r))}`);
}

/** The first word names a group of subcommands ("token") but none of them. */
export function renderGroupUsage(commands: readonly Command[], r: RenderContext): RenderedMessage {
  return plain(r.messages.arguments.usage(commands.map((c) => usageLine(c, r)).join(" | ")));
}

export function renderNotPermitted(userId: string, r: RenderContext): RenderedMessage {
  return plain(r.messages.refusals.notModerator(userId, r.moderatorPowerLevel));
}

export function renderUnknownCommand(name: string, r: RenderContext): RenderedMessage {
  return plain(r.messages.refusals.unknownCommand(r.prefix, name));
}

/**
 * A command that failed for a reason other than an outage. An AppError's public message is shown (in the room's
 * language when it is the generic one for its code); anything else gets the generic message. Both carry the
 * incident id under which the full error was logged.
 */
export function renderFailure(error: unknown, incident: string, r: RenderContext): RenderedMessage {
  const m = r.messages.failures;
  let text: string;
  if (error instanceof AppError) {
    const generic = new AppError(error.code, "").publicMessage;
    text = error.publicMessage === generic ? m.codes[error.code] : error.publicMessage;
  } else {
    text = m.codes.internal;
  }
  return plain(m.failed(text, incident));
}
