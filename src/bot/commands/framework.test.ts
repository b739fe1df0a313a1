import { describe, expect, it } from "vitest";
import { parseRequestId } from "../../registration/types.ts";
import { en } from "../messages/en.ts";
import {
  defineCommand,
  literal,
  matchCommand,
  optional,
  parseArguments,
  parseCommandLine,
  requestIdParam,
  restOfLine,
  stripReplyFallback,
  usageOf,
  variadic,
  word,
  type Command,
  type CommandLine,
} from "./framework.ts";

const id = requestIdParam(parseRequestId);
const reason = optional(restOfLine("reason", { max: 20, multiline: true }));
const duration = optional(word("duration", "duration", (w) => (/^\d+d$/.test(w) ? w : undefined)));
const none = () => Promise.resolve(null);
const render = () => ({ body: "", html: "" });

const decline = defineCommand({
  id: "decline",
  params: { id, reason },
  permission: "moderator",
  claim: "transaction",
  run: none,
  render,
});
const ban = defineCommand({
  id: "ban",
  params: { kind: literal("kind", "ip", "domain"), duration, reason },
  permission: "moderator",
  claim: "transaction",
  run: none,
  render,
});
const tokenCreate = defineCommand({
  id: "token create",
  params: {},
  permission: "tokens",
  claim: "after",
  run: none,
  render,
});
const tokenDelete = defineCommand({
  id: "token delete",
  params: { tokens: variadic(word("tokens", "token", (w) => (/^[a-z]+$/.test(w) ? w : undefined))) },
  permission: "tokens",
  claim: "after",
  run: none,
  render,
});
const commands: Command[] = [decline, ban, tokenCreate, tokenDelete];

function line(body: string): CommandLine {
  const parsed = parseCommandLine(body, "!");
  if (!parsed) throw new Error(`not a command: ${body}`);
  return parsed;
}

function args(body: string, repliedTo: number | null = null) {
  const match = matchCommand(line(body), commands);
  if (match.type !== "command") throw new Error(`no command in ${body}`);
  return parseArguments(match.command, match.args, {
    repliedTo: repliedTo === null ? null : (parseRequestId(repliedTo) ?? null),
  });
}

describe("command lines", () => {
  it("are read with and without a reply fallback, and only with the prefix at the start", () => {
    expect(line("!decline 12 too young").words).toEqual(["decline", "12", "too", "young"]);
    expect(line("> <@a:b> Sign-up request #3\n> more\n\n!approve").words).toEqual(["approve"]);
    expect(line("  !PENDING  ").words).toEqual(["PENDING"]);
    for (const body of ["hello !approve 1", "!", "!!x", "! approve", "?approve 3"])
      expect(parseCommandLine(body, "!"), body).toBeNull();
    expect(parseCommandLine("?approve 3", "?")?.words).toEqual(["approve", "3"]);
    expect(stripReplyFallback("> quoted\n\nbody")).toBe("body");
  });

  it("match the longest command name; a group name alone is not a command", () => {
    expect(matchCommand(line("!TOKEN create"), commands)).toMatchObject({
      type: "command",
      command: tokenCreate,
    });
    expect(matchCommand(line("!token frob"), commands)).toMatchObject({ type: "group", group: "token" });
    expect(matchCommand(line("!frobnicate now"), commands)).toEqual({ type: "unknown", name: "frobnicate" });
  });
});

describe("arguments", () => {
  it("keep the rest of the line as typed", () => {
    expect(args("!decline #12 too   young")).toEqual({ ok: true, args: { id: 12, reason: "too   young" } });
    expect(args("!decline 12")).toEqual({ ok: true, args: { id: 12, reason: undefined } });
  });

  it("take the request from the replied-to message when the id is left out", () => {
    expect(args("!decline spam account", 7)).toEqual({ ok: true, args: { id: 7, reason: "spam account" } });
    expect(args("!decline", 7)).toEqual({ ok: true, args: { id: 7, reason: undefined } });
    expect(args("!decline 3 x", 7)).toMatchObject({ ok: true, args: { id: 3 } });
  });

  it("name what is wrong", () => {
    expect(args("!decline")).toEqual({ ok: false, problem: { type: "missing_request" } });
    expect(args("!decline banana")).toEqual({
      ok: false,
      problem: { type: "invalid", param: "id", kind: "requestId", value: "banana" },
    });
    expect(args("!decline 1 " + "x".repeat(21))).toEqual({
      ok: false,
      problem: { type: "too_long", param: "reason", max: 20 },
    });
    expect(args("!decline 1 a\u0007b")).toEqual({
      ok: false,
      problem: { type: "control_characters", param: "reason" },
    });
    expect(args("!ban planet")).toMatchObject({
      ok: false,
      problem: { type: "invalid", param: "kind", value: "planet" },
    });
    expect(args("!token delete abc DEF")).toMatchObject({
      ok: false,
      problem: { type: "invalid", value: "DEF" },
    });
    expect(args("!token create 5")).toEqual({ ok: false, problem: { type: "unexpected", value: "5" } });
  });

  it("let an optional parameter pass a word on to the next", () => {
    expect(args("!ban ip 30d bot wave")).toEqual({
      ok: true,
      args: { kind: "ip", duration: "30d", reason: "bot wave" },
    });
    expect(args("!ban ip bot wave")).toEqual({
      ok: true,
      args: { kind: "ip", duration: undefined, reason: "bot wave" },
    });
    expect(args("!token delete abc def")).toEqual({ ok: true, args: { tokens: ["abc", "def"] } });
  });
});

it("usage lines come from the parameters", () => {
  const label = (name: keyof typeof en.paramLabels) => en.paramLabels[name];
  expect(usageOf(decline, label)).toBe("decline ID [REASON…]");
  expect(usageOf(ban, label)).toBe("ban ip|email|domain|username [DURATION] [REASON…]");
  expect(usageOf(tokenDelete, label)).toBe("token delete TOKEN…");
});
