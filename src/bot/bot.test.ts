import { expect, it } from "vitest";
import { voteOfReaction } from "./bot.ts";
import { parseCommand, parseRequestId, stripReplyFallback } from "./commands.ts";

it("reads votes from reaction keys, whatever the variation selector or skin tone", () => {
  for (const key of ["✅", "✅️", "👍", "👍🏻", "👍🏿", "✔️", "☑️"])
    expect(voteOfReaction(key), key).toBe("approve");
  for (const key of ["❌", "👎", "👎🏽", "✖️", "❎"]) expect(voteOfReaction(key), key).toBe("decline");
  for (const key of ["🎉", "", "✅✅", "a"]) expect(voteOfReaction(key), key).toBeNull();
});

it("parses commands, with and without a reply fallback", () => {
  expect(parseCommand("!decline 12 too young", "!")).toEqual({
    name: "decline",
    args: ["12", "too", "young"],
    rest: "12 too young",
  });
  expect(parseCommand("> <@a:b> Sign-up request #3\n> more\n\n!approve", "!")).toEqual({
    name: "approve",
    args: [],
    rest: "",
  });
  expect(parseCommand("  !PENDING  ", "!")).toEqual({ name: "pending", args: [], rest: "" });
  expect(parseCommand("hello !approve 1", "!")).toBeNull();
  expect(parseCommand("!", "!")).toBeNull();
  expect(parseCommand("!!x", "!")).toBeNull();
  expect(parseCommand("?approve 3", "?")).toMatchObject({ name: "approve", args: ["3"] });
  expect(stripReplyFallback("> quoted\n\nbody")).toBe("body");
});

it("parses request IDs", () => {
  expect(parseRequestId("12")).toBe(12);
  expect(parseRequestId("#12")).toBe(12);
  for (const bad of [undefined, "", "#", "12a", "-1", "1.5", "9999999999"])
    expect(parseRequestId(bad)).toBeNull();
});

it("every command that changes a request claims its event inside the transition (exactly once)", async () => {
  const { commandSpecs } = await import("./commands.ts");
  const changing = commandSpecs.filter((c) => ["approve", "decline", "retry", "resend"].includes(c.name));
  expect(changing.map((c) => [c.name, c.claimsEvent])).toEqual([
    ["approve", true],
    ["decline", true],
    ["retry", true],
    ["resend", true],
  ]);
  expect(
    commandSpecs
      .filter((c) => !["approve", "decline", "retry", "resend"].includes(c.name))
      .every((c) => !c.claimsEvent),
  ).toBe(true);
});
