// Bot commands defined as data (after Draupnir's command tables): a name, typed parameters, who may run it, when its
// event counts as handled, what it does and how its result is rendered. Parsing, argument errors (naming the
// parameter and showing the usage) and !help are all derived from these definitions, so a command cannot be
// documented one way and parsed another.
import { cleanText } from "../../registration/policy.ts";
import type { EventId, RequestId, UserId } from "../../registration/types.ts";
import type { RenderedMessage } from "../render/content.ts";
import type { RenderContext } from "../render/context.ts";

/** Every command the bot knows. Multi-word ids are subcommands ("token create"); the catalog has a summary each. */
export type CommandId =
  | "approve"
  | "decline"
  | "pending"
  | "show"
  | "retry"
  | "resend"
  | "token create"
  | "token list"
  | "token show"
  | "token delete"
  | "token delete-all"
  | "allow"
  | "disallow"
  | "allowed"
  | "ban"
  | "unban"
  | "bans"
  | "login"
  | "help";

/** Parameter names; the catalog has a label for each (shown in usage lines and argument errors). */
export type ParamName =
  | "id"
  | "reason"
  | "uses"
  | "expiry"
  | "token"
  | "tokens"
  | "confirm"
  | "subject"
  | "kind"
  | "value"
  | "duration"
  | "ban"
  | "command";

/** What a value was expected to be, for the "is not a …" message. */
export type ValueKind =
  | "requestId"
  | "duration"
  | "uses"
  | "expiry"
  | "userId"
  | "subject"
  | "pattern"
  | "banKind"
  | "banTarget"
  | "token"
  | "text"
  | "command"
  | "literal";

/** Why the arguments of a command could not be read. Rendered with the command's usage line. */
export type ArgumentProblem =
  | { type: "missing"; param: ParamName }
  /** A request id was needed and the command was not a reply to a request's message either. */
  | { type: "missing_request" }
  | { type: "invalid"; param: ParamName; kind: ValueKind; value: string }
  | { type: "too_long"; param: ParamName; max: number }
  | { type: "control_characters"; param: ParamName }
  | { type: "unexpected"; value: string };

/** Who may run a command: anyone in the room, moderators (power level), or moderators and users given !allow. */
export type Permission = "anyone" | "moderator" | "tokens";

/**
 * When the event that asked for a command is recorded as handled (`bot_handled_event`):
 * - "transaction": inside the command's own database transaction, together with its effect (request transitions).
 *   The effect happens exactly once; a replayed event is answered from the current state under the same Matrix
 *   transaction id, so the homeserver drops that answer if the first one went out.
 * - "after": once the answer was sent (read-only commands, and commands whose effects are idempotent when run
 *   again). A crash between the answer and the claim runs the command again; its answer carries the same
 *   transaction id and is dropped by the homeserver.
 * Either way, a command that failed because a dependency was down is not claimed at all: the sync batch is
 * handled again once the dependency is back, and the command is answered then.
 */
export type ClaimRule = "transaction" | "after";

/** The words after the command name, with where each starts (rest-of-line parameters keep the text as typed). */
export interface ArgumentText {
  words: readonly string[];
  offsets: readonly number[];
  raw: string;
}

export interface ParseContext {
  /** The request whose message the command replies to, if any: a request id may then be left out. */
  repliedTo: RequestId | null;
}

export type Read<T> = { ok: true; value: T; used: number } | { ok: false; problem: ArgumentProblem };

/** A typed parameter: reads its value from the words at `at`. */
export interface ParamType<T> {
  name: ParamName;
  /** May be left out (the value is then undefined, and the next parameter gets the word). */
  optional: boolean;
  /** Takes one or more words up to the end: shown as "NAME…". */
  greedy: boolean;
  read(text: ArgumentText, at: number, ctx: ParseContext): Read<T>;
}

export type ParamList = Readonly<Record<string, ParamType<unknown>>>;
export type ArgsOf<P extends ParamList> = { [K in keyof P]: P[K] extends ParamType<infer T> ? T : never };

/** What a running command may use besides its own deps. */
export interface CommandContext {
  sender: UserId;
  eventId: EventId;
  now: Date;
}

export interface CommandDefinition<P extends ParamList, R> {
  id: CommandId;
  params: P;
  permission: Permission;
  claim: ClaimRule;
  run(args: ArgsOf<P>, ctx: CommandContext): Promise<R>;
  /** Words the result; kept apart from `run` (src/bot/render/). */
  render(result: R, r: RenderContext): RenderedMessage;
}

/** A definition with its result type erased, as the dispatcher holds it. */
export interface Command {
  id: CommandId;
  words: readonly string[];
  params: ParamList;
  permission: Permission;
  claim: ClaimRule;
  /** Whether a replied-to request message can stand in for an argument (the dispatcher looks it up then). */
  usesReply: boolean;
  /** Runs the command on parsed arguments and returns how to render its result. */
  invoke(
    args: Readonly<Record<string, unknown>>,
    ctx: CommandContext,
  ): Promise<(r: RenderContext) => RenderedMessage>;
}

const replyAware = new WeakSet<ParamType<unknown>>();

export function defineCommand<P extends ParamList, R>(definition: CommandDefinition<P, R>): Command {
  return {
    id: definition.id,
    words: definition.id.split(" "),
    params: definition.params,
    permission: definition.permission,
    claim: definition.claim,
    usesReply: Object.values(definition.params).some((p) => replyAware.has(p)),
    async invoke(args, ctx) {
      // parseArguments built `args` from exactly these parameters, so each value has its parameter's type.
      const result = await definition.run(args as ArgsOf<P>, ctx);
      return (r) => definition.render(result, r);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Parameter types

/** A parameter of one word, parsed by `parse` (undefined: not such a value). */
export function word<T>(
  name: ParamName,
  kind: ValueKind,
  parse: (word: string) => T | undefined,
): ParamType<T> {
  return {
    name,
    optional: false,
    greedy: false,
    read(text, at) {
      const value = text.words[at];
      if (value === undefined) return { ok: false, problem: { type: "missing", param: name } };
      const parsed = parse(value);
      return parsed === undefined
        ? { ok: false, problem: { type: "invalid", param: name, kind, value } }
        : { ok: true, value: parsed, used: 1 };
    },
  };
}

/** One of fixed words (case-insensitive), e.g. "confirm". */
export function literal<W extends string>(name: ParamName, ...words: W[]): ParamType<W> {
  return word(name, "literal", (w) => words.find((candidate) => candidate === w.toLowerCase()));
}

/**
 * A request id ("12" or "#12"). Left out, the request whose message the command replies to stands in; a word that
 * is not an id then goes to the next parameter (`!decline spam account` as a reply).
 */
export function requestIdParam(parse: (word: string) => RequestId | undefined): ParamType<RequestId> {
  const param: ParamType<RequestId> = {
    name: "id",
    optional: false,
    greedy: false,
    read(text, at, ctx) {
      const value = text.words[at];
      const id = value === undefined ? undefined : parse(value);
      if (id !== undefined) return { ok: true, value: id, used: 1 };
      if (ctx.repliedTo !== null) return { ok: true, value: ctx.repliedTo, used: 0 };
      if (value === undefined) return { ok: false, problem: { type: "missing_request" } };
      return { ok: false, problem: { type: "invalid", param: "id", kind: "requestId", value } };
    },
  };
  replyAware.add(param);
  return param;
}

/** The rest of the line as typed (a reason): trimmed, capped, no control characters (newlines when multiline). */
export function restOfLine(name: ParamName, options: { max: number; multiline: boolean }): ParamType<string> {
  return {
    name,
    optional: false,
    greedy: true,
    read(text, at) {
      const offset = text.offsets[at];
      if (offset === undefined) return { ok: false, problem: { type: "missing", param: name } };
      const cleaned = cleanText(text.raw.slice(offset), options);
      if (!cleaned.ok)
        return {
          ok: false,
          problem:
            cleaned.problem === "too_long"
              ? { type: "too_long", param: name, max: options.max }
              : { type: "control_characters", param: name },
        };
      return { ok: true, value: cleaned.value, used: text.words.length - at };
    },
  };
}

/** Leaving it out gives undefined. */
export function optional<T>(param: ParamType<T>): ParamType<T | undefined> {
  return { ...param, optional: true };
}

/** One or more values of `param`, to the end of the line. */
export function variadic<T>(param: ParamType<T>): ParamType<T[]> {
  return {
    name: param.name,
    optional: false,
    greedy: true,
    read(text, at, ctx) {
      if (at >= text.words.length) return { ok: false, problem: { type: "missing", param: param.name } };
      const values: T[] = [];
      for (let i = at; i < text.words.length;) {
        const read = param.read(text, i, ctx);
        if (!read.ok) return read;
        values.push(read.value);
        i += Math.max(read.used, 1);
      }
      return { ok: true, value: values, used: text.words.length - at };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

/** A command line: the prefix, words, and the raw text after each word. Null when the body is not a command. */
export interface CommandLine {
  words: readonly string[];
  offsets: readonly number[];
  raw: string;
}

/** Strips the quoted fallback of a reply ("> <@user> …" lines and the blank line after them). */
export function stripReplyFallback(body: string): string {
  const lines = body.split("\n");
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith(">")) i++;
  if (i > 0 && lines[i] === "") i++;
  return lines.slice(i).join("\n");
}

export function parseCommandLine(body: string, prefix: string): CommandLine | null {
  const text = stripReplyFallback(body).trim();
  if (!text.startsWith(prefix)) return null;
  const raw = text.slice(prefix.length);
  if (!/^[A-Za-z][\w-]*(\s|$)/.test(raw)) return null;
  const words: string[] = [];
  const offsets: number[] = [];
  for (const match of raw.matchAll(/\S+/g)) {
    words.push(match[0]);
    offsets.push(match.index);
  }
  return { words, offsets, raw };
}

export type Match =
  | { type: "command"; command: Command; args: ArgumentText }
  /** The first word names a group ("token") but no subcommand of it. */
  | { type: "group"; group: string; commands: readonly Command[] }
  | { type: "unknown"; name: string };

/** The command the line names: the longest id whose words begin the line (case-insensitive). */
export function matchCommand(line: CommandLine, commands: readonly Command[]): Match {
  const lower = line.words.map((w) => w.toLowerCase());
  let best: Command | undefined;
  for (const command of commands) {
    const fits = command.words.every((w, i) => lower[i] === w);
    if (fits && command.words.length > (best?.words.length ?? 0)) best = command;
  }
  if (best) {
    const used = best.words.length;
    const start = line.offsets[used] ?? line.raw.length;
    const raw = line.raw.slice(start);
    return {
      type: "command",
      command: best,
      args: { words: line.words.slice(used), offsets: line.offsets.slice(used).map((o) => o - start), raw },
    };
  }
  const first = lower[0] ?? "";
  const group = commands.filter((c) => c.words.length > 1 && c.words[0] === first);
  return group.length > 0
    ? { type: "group", group: first, commands: group }
    : { type: "unknown", name: first };
}

export type ParsedArguments =
  { ok: true; args: Readonly<Record<string, unknown>> } | { ok: false; problem: ArgumentProblem };

export function parseArguments(command: Command, text: ArgumentText, ctx: ParseContext): ParsedArguments {
  const args: Record<string, unknown> = {};
  let at = 0;
  // Why an optional parameter passed over the word at a position: if nothing else takes that word, that is the
  // error to show ("7x" is not a duration), rather than "unexpected 7x".
  const passedOver = new Map<number, ArgumentProblem>();
  for (const [key, param] of Object.entries(command.params)) {
    if (param.optional && at >= text.words.length) {
      args[key] = undefined;
      continue;
    }
    const read = param.read(text, at, ctx);
    if (read.ok) {
      args[key] = read.value;
      at += read.used;
    } else if (param.optional) {
      args[key] = undefined;
      if (!passedOver.has(at)) passedOver.set(at, read.problem);
    } else {
      return { ok: false, problem: read.problem };
    }
  }
  if (at < text.words.length)
    return { ok: false, problem: passedOver.get(at) ?? { type: "unexpected", value: text.words[at]! } };
  return { ok: true, args };
}

/** The usage line of a command, from its parameters: "decline ID [REASON…]". */
export function usageOf(command: Command, label: (name: ParamName) => string): string {
  const params = Object.values(command.params).map((p) => {
    const text = `${label(p.name)}${p.greedy ? "…" : ""}`;
    // A request id may also be left out in a reply; the help says so once rather than on every line.
    return p.optional ? `[${text}]` : text;
  });
  return [command.id, ...params].join(" ");
}
