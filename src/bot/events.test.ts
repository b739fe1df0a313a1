import { describe, expect, it } from "vitest";
import { voteOfReaction } from "./dispatch.ts";
import { parseEvent, parsePowerLevels } from "./events.ts";

const base = { event_id: "$ev1", sender: "@ada:example.org", origin_server_ts: 1 };

it("reads votes from reaction keys, whatever the variation selector or skin tone", () => {
  for (const key of ["✅", "✅️", "👍", "👍🏻", "👍🏿", "✔️", "☑️"])
    expect(voteOfReaction(key), key).toBe("approve");
  for (const key of ["❌", "👎", "👎🏽", "✖️", "❎"]) expect(voteOfReaction(key), key).toBe("decline");
  for (const key of ["🎉", "", "✅✅", "a"]) expect(voteOfReaction(key), key).toBeNull();
});

describe("room events", () => {
  it("a command that replies to a message", () => {
    expect(
      parseEvent({
        ...base,
        type: "m.room.message",
        content: {
          msgtype: "m.text",
          body: "!help",
          "m.relates_to": { "m.in_reply_to": { event_id: "$req" } },
        },
      }),
    ).toEqual({
      ok: true,
      event: { eventId: "$ev1", sender: "@ada:example.org", type: "message", body: "!help", replyTo: "$req" },
    });
  });

  it("refuses NUL anywhere the bot reads, and ids that break their grammar", () => {
    const message = (content: object) => parseEvent({ ...base, type: "m.room.message", content });
    expect(
      message({ body: "!help", "m.relates_to": { "m.in_reply_to": { event_id: "$a\u0000b" } } }),
    ).toMatchObject({
      ok: false,
      eventId: "$ev1",
    });
    expect(message({ body: "!decline 1 a\u0000" })).toMatchObject({ ok: false, problem: "body: NUL" });
    expect(message({ body: "!help", "m.relates_to": "x" })).toMatchObject({ ok: false });
    expect(
      parseEvent({
        ...base,
        type: "m.reaction",
        content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$x", key: "✅\u0000" } },
      }),
    ).toMatchObject({ ok: false });
    expect(parseEvent({ ...base, event_id: "$a\u0000", type: "m.room.message", content: {} })).toEqual({
      ok: false,
      eventId: undefined,
      problem: expect.any(String),
    });
    expect(parseEvent({ ...base, sender: "ada", type: "m.room.message", content: {} })).toMatchObject({
      ok: false,
    });
    expect(parseEvent({ ...base, type: "m.room.redaction", content: { redacts: 12 } })).toMatchObject({
      ok: false,
    });
    expect(parseEvent("not an event")).toMatchObject({ ok: false, eventId: undefined });
  });

  it("ignores what it does not act on", () => {
    for (const event of [
      { ...base, type: "m.room.message", content: { body: 3 } },
      { ...base, type: "m.room.message", content: { body: "!x", "m.new_content": {} } },
      { ...base, type: "m.reaction", content: { "m.relates_to": { rel_type: "m.reference", event_id: 1 } } },
      { ...base, type: "m.room.topic", state_key: "", content: { topic: "\u0000" } },
    ])
      expect(parseEvent(event)).toMatchObject({ ok: true, event: { type: "ignored" } });
  });

  it("power levels are read leniently (old rooms have strings)", () => {
    const levels = parsePowerLevels({
      users: { "@a:x": "50", "@b:x": 100, "@c:x": "lots", bad: 10 },
      users_default: "5",
    });
    expect([...levels.users]).toEqual([
      ["@a:x", 50],
      ["@b:x", 100],
    ]);
    expect(levels.usersDefault).toBe(5);
  });
});
