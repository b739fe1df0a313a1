// Moderator commands: parsing (pure) and what each one does. A command written as a reply to a request's message
// may leave out the ID. State changes go through the domain transitions with the command's event id, so a replayed
// event (after a restart) changes nothing twice.
import { AppError } from "../errors.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import { castVote, resendCredentials, retry, type TransitionSettings } from "../registration/transitions.ts";
import type { RegistrationRequest, RequestId, UserId } from "../registration/types.ts";
import { botText } from "./messages.ts";
import { plain, renderList, renderRequest, type RenderedMessage, type RenderOptions } from "./render.ts";

export interface ParsedCommand {
  name: string;
  args: string[];
  /** Everything after the command name, as typed (for reasons). */
  rest: string;
}

/** Strips the quoted fallback of a reply ("> <@user> …" lines and the blank line after them). */
export function stripReplyFallback(body: string): string {
  const lines = body.split("\n");
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith(">")) i++;
  if (i > 0 && lines[i] === "") i++;
  return lines.slice(i).join("\n");
}

export function parseCommand(body: string, prefix: string): ParsedCommand | null {
  const text = stripReplyFallback(body).trim();
  if (!text.startsWith(prefix)) return null;
  const withoutPrefix = text.slice(prefix.length);
  const match = /^([A-Za-z][\w-]*)(?:\s+([\s\S]*))?$/.exec(withoutPrefix);
  if (!match) return null;
  const rest = (match[2] ?? "").trim();
  return { name: match[1]!.toLowerCase(), args: rest === "" ? [] : rest.split(/\s+/), rest };
}

/** "12" or "#12" → 12; anything else → null. */
export function parseRequestId(value: string | undefined): number | null {
  if (value === undefined || !/^#?\d{1,9}$/.test(value)) return null;
  return Number(value.replace("#", ""));
}

export interface CommandContext {
  sender: UserId;
  eventId: string;
  /** The request whose message this command replies to, if any. */
  repliedTo: RegistrationRequest | null;
  isModerator: boolean;
  /** Sends a private message to a user (a direct room with the bot), e.g. a portal login link. */
  sendDirect(userId: string, text: string): Promise<void>;
}

export interface CommandDeps {
  store: RegistrationStore;
  settings: TransitionSettings;
  render: RenderOptions;
  moderatorPowerLevel: number;
  clock: () => Date;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  /** Who may run it: anyone in the room, moderators (power level), or moderators and users given !allow. */
  permission: "anyone" | "moderator" | "tokens";
  /** The command claims its event inside its own transaction (state changes); the others are claimed before. */
  claimsEvent?: boolean;
  run(command: ParsedCommand, ctx: CommandContext, deps: CommandDeps): Promise<RenderedMessage | null>;
}

/** The request a command is about: an ID argument (removed from args), else the replied-to request. */
function target(
  command: ParsedCommand,
  ctx: CommandContext,
): { id: number; args: string[]; rest: string } | { error: string } {
  const id = parseRequestId(command.args[0]);
  if (id !== null) {
    const rest = command.rest.slice(command.args[0]!.length).trim();
    return { id, args: command.args.slice(1), rest };
  }
  if (ctx.repliedTo) return { id: ctx.repliedTo.id, args: command.args, rest: command.rest };
  if (command.args[0] !== undefined) return { error: botText.badId(command.args[0]) };
  return { error: "" };
}

function refusal(
  result: { reason: string; state?: RegistrationRequest["state"] },
  id: number,
): RenderedMessage | null {
  if (result.reason === "duplicate") return null;
  if (result.reason === "not_found") return plain(botText.notFound(id));
  if (result.reason === "wrong_state" && result.state) return plain(botText.wrongState(id, result.state));
  if (result.reason === "not_applicable") return plain(botText.resendNotApplicable(id));
  throw new AppError("internal", `unexpected refusal ${result.reason}`);
}

function vote(decision: "approve" | "decline"): CommandSpec["run"] {
  return async (command, ctx, deps) => {
    const t = target(command, ctx);
    if ("error" in t) return plain(t.error || botText.needsId(deps.render.prefix, command.name));
    let reason: string | null = null;
    if (decision === "decline") {
      reason = t.rest.trim() || null;
      if (reason && reason.length > 500) return plain(botText.reasonTooLong);
    } else if (t.args.length > 0) {
      return plain(botText.badId(t.args[0]!));
    }
    const result = await castVote(
      deps.store,
      deps.settings,
      {
        id: t.id as RequestId,
        voter: ctx.sender,
        decision,
        source: "command",
        reason,
        handledEventId: ctx.eventId,
      },
      deps.clock(),
    );
    if (!result.ok) return refusal(result, t.id);
    if (result.outcome === "approved") return plain(botText.approved(t.id));
    if (result.outcome === "declined") return plain(botText.declined(t.id));
    return plain(
      decision === "approve"
        ? botText.voteRecorded(t.id, result.approvals, deps.settings.approvalsRequired)
        : botText.declineRecorded(t.id, result.declines, deps.settings.declinesRequired),
    );
  };
}

export const commandSpecs: CommandSpec[] = [
  {
    name: "approve",
    usage: "approve ID",
    summary: "vote to approve a request",
    permission: "moderator",
    claimsEvent: true,
    run: vote("approve"),
  },
  {
    name: "decline",
    usage: "decline ID [reason]",
    summary: "vote to decline a request; the reason goes to the applicant",
    permission: "moderator",
    claimsEvent: true,
    run: vote("decline"),
  },
  {
    name: "pending",
    usage: "pending",
    summary: "list the requests waiting for a decision",
    permission: "moderator",
    async run(command, _ctx, deps) {
      if (command.args.length > 0) return plain(`${deps.render.prefix}pending takes no arguments.`);
      const pending = (await deps.store.listRequests({ states: ["pending"], limit: 50 })).reverse();
      return pending.length === 0
        ? plain(botText.noPending)
        : renderList(botText.pendingHeader(pending.length), pending, deps.render.serverName);
    },
  },
  {
    name: "show",
    usage: "show ID",
    summary: "show a request and its votes",
    permission: "moderator",
    async run(command, ctx, deps) {
      const t = target(command, ctx);
      if ("error" in t) return plain(t.error || botText.needsId(deps.render.prefix, command.name));
      const request = await deps.store.getRequest(t.id as RequestId);
      if (!request) return plain(botText.notFound(t.id));
      return renderRequest(request, await deps.store.listVotes(request.id), deps.render);
    },
  },
  {
    name: "retry",
    usage: "retry ID",
    summary: "try creating the account of a failed request again",
    permission: "moderator",
    claimsEvent: true,
    async run(command, ctx, deps) {
      const t = target(command, ctx);
      if ("error" in t) return plain(t.error || botText.needsId(deps.render.prefix, command.name));
      const result = await retry(
        deps.store,
        {
          id: t.id as RequestId,
          actor: { kind: "moderator", userId: ctx.sender },
          handledEventId: ctx.eventId,
        },
        deps.clock(),
      );
      return result.ok ? plain(botText.retrying(t.id)) : refusal(result, t.id);
    },
  },
  {
    name: "resend",
    usage: "resend ID",
    summary: "send the applicant a fresh set-password (or registration) link",
    permission: "moderator",
    claimsEvent: true,
    async run(command, ctx, deps) {
      const t = target(command, ctx);
      if ("error" in t) return plain(t.error || botText.needsId(deps.render.prefix, command.name));
      const result = await resendCredentials(
        deps.store,
        deps.settings,
        {
          id: t.id as RequestId,
          actor: { kind: "moderator", userId: ctx.sender },
          handledEventId: ctx.eventId,
        },
        deps.clock(),
      );
      return result.ok ? plain(botText.resent(t.id)) : refusal(result, t.id);
    },
  },
];

/** More commands (tokens, bans, portal login) register themselves here from their own modules. */
export function helpCommand(specs: () => readonly CommandSpec[]): CommandSpec {
  return {
    name: "help",
    usage: "help",
    summary: "this list",
    permission: "anyone",
    run: (_command, _ctx, deps) =>
      Promise.resolve(plain(botText.help(deps.render.prefix, specs()).join("\n"))),
  };
}
