// The bot's event handling on a real database (PGlite and PostgreSQL): every command is answered; an outage leaves
// the event unclaimed so it runs (and is answered) again later, exactly once; other failures are answered with the
// public message and an incident id; and no event content — fuzzed — makes the handler throw or write a NUL.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isInfrastructureError } from "../../src/bot/failures.ts";
import { createRegistrationStore } from "../../src/db/registration.store.ts";
import { AppError } from "../../src/errors.ts";
import { attachRoomMessage } from "../../src/registration/transitions.ts";
import { describeEachDatabase } from "../support/database.ts";
import { pendingRequest } from "../support/requests.ts";
import {
  BOT,
  createHarness,
  fakeTokens,
  MEMBER,
  message,
  MOD,
  newEventId,
  storeWithOutages,
} from "./harness.ts";

describe("which failures stop the sync batch", () => {
  it("outages do, the event's own failures do not", () => {
    for (const error of [
      new AppError("unavailable", "homeserver down"),
      Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
      new Error("Connection terminated unexpectedly"),
      new Error("wrapped", { cause: new AppError("unavailable", "inner") }),
    ])
      expect(isInfrastructureError(error), error.message).toBe(true);
    for (const error of [
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: "22021" }),
      new AppError("forbidden", "not a server admin"),
      new AppError("internal", "bug"),
      new TypeError("x is undefined"),
      "a string",
    ])
      expect(isInfrastructureError(error), String(error)).toBe(false);
  });
});

describeEachDatabase("bot dispatch", (get) => {
  async function postedRequest() {
    const db = get().db;
    const store = createRegistrationStore(db);
    const request = await pendingRequest(db, store, "disp");
    const eventId = newEventId();
    await attachRoomMessage(
      store,
      { id: request.id, roomId: "!moderators:example.org", eventId },
      new Date(),
    );
    return { ...request, eventId };
  }

  it("a command that fails because the homeserver is down is not claimed, and is answered once it works", async () => {
    const tokens = fakeTokens();
    const h = createHarness(get(), { tokens });
    const command = message(MOD, "!token create 3 2d");
    tokens.failWith(new AppError("unavailable", "homeserver unreachable (test)"));
    await expect(h.handle(command)).rejects.toSatisfy(isInfrastructureError);
    expect(h.sent).toEqual([]);
    expect(await h.state.isHandled(command.event_id)).toBe(false);

    // The batch comes again after the outage.
    await h.handle(command);
    expect(h.answersTo(command.event_id)).toEqual([expect.stringContaining("Created a registration token")]);
    expect(h.sent[0]!.txnId).toBe(`reply-${command.event_id}`);
    expect(await h.state.isHandled(command.event_id)).toBe(true);
    // A replay after that (crash before the sync position was stored) does nothing at all.
    await h.handle(command);
    expect(h.sent).toHaveLength(1);
    expect(tokens.made()).toHaveLength(1);
  });

  it("!token create run twice for one event (crash before the claim) makes one token and answers with it", async () => {
    const tokens = fakeTokens();
    const h = createHarness(get(), { tokens });
    const command = message(MOD, "!token create");
    await h.handle(command);
    // As if the claim had not been written: the same event again.
    await get().db.deleteFrom("bot_handled_event").where("event_id", "=", command.event_id).execute();
    await h.handle(command);
    expect(tokens.made()).toHaveLength(1);
    const answers = h.answersTo(command.event_id);
    expect(answers).toHaveLength(2);
    const made = tokens.made()[0]!;
    for (const answer of answers) expect(answer).toContain(`Created a registration token:\n${made} — valid`);
    expect(new Set(h.sent.map((s) => s.txnId))).toEqual(new Set([`reply-${command.event_id}`]));
  });

  it("a vote during a database outage changes nothing; run again, it counts once and is answered", async () => {
    const store = storeWithOutages(createRegistrationStore(get().db));
    const h = createHarness(get(), { store });
    const request = await postedRequest();
    const command = message(MOD, `!approve ${request.id}`);
    store.failNext();
    await expect(h.handle(command)).rejects.toSatisfy(isInfrastructureError);
    expect(await store.listVotes(request.id)).toEqual([]);
    expect(h.sent).toEqual([]);

    await h.handle(command);
    expect((await store.getRequest(request.id))?.state).toBe("approved");
    expect(h.answersTo(command.event_id)).toEqual([
      `Request #${request.id} approved; the account is being created.`,
    ]);
    // Replayed (the answer may not have gone out): answered from the state, under the same transaction id.
    await h.handle(command);
    expect(h.answersTo(command.event_id)[1]).toContain("already handled");
    expect(new Set(h.sent.map((s) => s.txnId))).toEqual(new Set([`reply-${command.event_id}`]));
    const audit = await store.auditTrail(request.id);
    expect(audit.filter((a) => a.action === "vote")).toHaveLength(1);
    expect(audit.filter((a) => a.action === "approved")).toHaveLength(1);
  });

  it("a failure that is not an outage is answered with the public message and an incident id, and claimed", async () => {
    const tokens = fakeTokens();
    const h = createHarness(get(), { tokens });
    const command = message(MOD, "!token list");
    tokens.failWith(
      new AppError("forbidden", "homeserver refused GET …", { publicMessage: "You are not a server admin" }),
    );
    await h.handle(command);
    const [answer] = h.answersTo(command.event_id);
    const incident = /\(incident (\w+)\)/.exec(answer ?? "")?.[1];
    expect(answer).toContain("That did not work: You are not a server admin");
    expect(incident).toBeDefined();
    expect(h.logs).toContainEqual(expect.objectContaining({ incident, msg: "command failed" }));
    expect(await h.state.isHandled(command.event_id)).toBe(true);

    const bug = message(MOD, "!token show abc");
    tokens.failWith(new TypeError("cannot read properties of undefined"));
    await h.handle(bug);
    expect(h.answersTo(bug.event_id)).toEqual([
      expect.stringMatching(/^That did not work: Something went wrong\. \(incident \w+\)$/),
    ]);
  });

  it("answers refusals and argument errors, and records them as handled", async () => {
    const h = createHarness(get(), { tokens: fakeTokens() });
    const cases: [string, string][] = [
      ["!approve", "Which request?"],
      ["!decline banana", '"banana" is not a request ID'],
      ["!ban ip", "VALUE is missing.\nUsage: !ban ip|email|domain|username VALUE [DURATION] [REASON…]"],
      ["!token", "Usage: !token create [USES] [EXPIRY] | !token list | !token show TOKEN"],
      ["!frobnicate", "Unknown command !frobnicate"],
      ["!help token", "!token delete-all [confirm] — delete every invitation token"],
    ];
    for (const [body, expected] of cases) {
      const command = message(MOD, body);
      await h.handle(command);
      expect(h.answersTo(command.event_id), body).toEqual([expect.stringContaining(expected)]);
      expect(await h.state.isHandled(command.event_id)).toBe(true);
    }
    const refused = message(MEMBER, "!ban ip 10.0.0.1");
    await h.handle(refused);
    expect(h.answersTo(refused.event_id)).toEqual([expect.stringContaining("only moderators")]);
    expect(await get().db.selectFrom("ban").selectAll().execute()).toEqual([]);
  });

  it("power level and membership changes update the facts and are reported", async () => {
    const h = createHarness(get());
    expect(h.facts.isCurrentModerator(MEMBER)).toBe(false);
    await h.handle({
      event_id: newEventId(),
      sender: MOD,
      type: "m.room.power_levels",
      state_key: "",
      content: { users: { [MOD]: 100, [MEMBER]: 50 } },
    });
    expect(h.facts.isCurrentModerator(MEMBER)).toBe(true);
    await h.handle({
      event_id: newEventId(),
      sender: MOD,
      type: "m.room.member",
      state_key: MEMBER,
      content: { membership: "leave" },
    });
    expect(h.facts.isCurrentModerator(MEMBER)).toBe(false);
    expect(h.facts.mayModerate(MEMBER)).toBe(true);
    expect(h.moderatorRoomChanges()).toBe(2);
  });

  it("fuzz: no event content makes the handler throw, fail, or write a NUL", async () => {
    const h = createHarness(get(), { tokens: fakeTokens() });
    const request = await postedRequest();
    const nul = "\u0000";
    const someId = fc.oneof(
      fc.constant(request.eventId),
      fc.constant(`$x${nul}y`),
      fc.string(),
      fc.anything(),
      fc.stringMatching(/^\$[A-Za-z0-9_-]{5,20}$/),
    );
    const word = fc.oneof(
      fc.constant(String(request.id)),
      fc.constant(`#${request.id}`),
      fc.constantFrom(
        "30d",
        "unlimited",
        "never",
        "confirm",
        "ip",
        "domain",
        "username",
        "@a:b",
        "/.*/",
        "/(/",
      ),
      fc.constantFrom("10.0.0.0/8", "spam.example", "x@y.example", "abc", "token"),
      fc.string({ maxLength: 12 }),
      fc.constant(`a${nul}b`),
    );
    const commandName = fc.constantFrom(
      "approve",
      "decline",
      "pending",
      "show",
      "retry",
      "resend",
      "token create",
      "token list",
      "token show",
      "token delete",
      "token delete-all",
      "allow",
      "disallow",
      "allowed",
      "ban",
      "unban",
      "bans",
      "login",
      "help",
      "frobnicate",
      "token",
    );
    // Text with a NUL (or other control characters) where a command takes a value that reaches the database.
    const hostileWord = fc.oneof(
      fc.constantFrom(`a${nul}b`, `/${nul}/`, nul, `x\u0007`, `@a${nul}:b`),
      fc.string({ unit: "binary", maxLength: 6 }).filter((w) => w.trim() !== "" && !/\s/.test(w)),
    );
    const valueTaking = fc.constantFrom(
      "ban username",
      "ban domain",
      "ban email",
      "ban ip",
      "unban username",
      "allow",
      "disallow",
      `decline ${request.id}`,
      "token show",
      "token delete",
      "help",
    );
    const body = fc.oneof(
      fc
        .tuple(commandName, fc.array(word, { maxLength: 5 }))
        .map(([name, args]) => `!${[name, ...args].join(" ")}`),
      fc
        .tuple(valueTaking, hostileWord, fc.array(fc.oneof(word, hostileWord), { maxLength: 2 }))
        .map(([name, value, more]) => `!${[name, value, ...more].join(" ")}`),
      fc.string(),
      fc.constant(`!help${nul}`),
    );
    const relation = fc.oneof(
      fc.constant(undefined),
      fc.anything(),
      fc.record({ "m.in_reply_to": fc.oneof(fc.anything(), fc.record({ event_id: someId })) }),
      fc.record({
        rel_type: fc.oneof(fc.constant("m.annotation"), fc.string()),
        event_id: someId,
        key: fc.oneof(fc.constantFrom("✅", "👎🏽", "❌", `✅${nul}`), fc.string(), fc.anything()),
      }),
    );
    const withRelation = (content: Record<string, unknown>, rel: unknown) =>
      rel === undefined ? content : { ...content, "m.relates_to": rel };
    const content = fc.oneof(
      fc.anything(),
      fc.dictionary(fc.string(), fc.anything()),
      fc.tuple(body, relation).map(([b, rel]) => withRelation({ msgtype: "m.text", body: b }, rel)),
      relation.map((rel) => withRelation({}, rel)),
      fc.record({ redacts: someId }),
      fc.record({ users: fc.dictionary(fc.string(), fc.anything()), users_default: fc.anything() }),
      fc.record({ membership: fc.oneof(fc.constantFrom("join", "leave", "ban"), fc.anything()) }),
    );
    // Mostly well-formed envelopes, so the contents get far enough to be tried; sometimes anything at all.
    const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
      fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: bad });
    const event = fc.record(
      {
        event_id: mostly(fc.stringMatching(/^\$[A-Za-z0-9]{12}$/), someId),
        sender: mostly(
          fc.constantFrom(MOD, MOD, MEMBER, BOT),
          fc.constantFrom(`@m${nul}:x`, "@other:example.org", 7),
        ),
        type: mostly(
          fc.constantFrom(
            "m.room.message",
            "m.room.message",
            "m.room.message",
            "m.reaction",
            "m.reaction",
            "m.room.redaction",
            "m.room.power_levels",
            "m.room.member",
            "m.room.create",
            "m.room.encryption",
            "m.room.encrypted",
          ),
          fc.string(),
        ),
        state_key: mostly(
          fc.constantFrom("", MEMBER, MOD),
          fc.oneof(fc.constant(`@x${nul}:y`), fc.anything()),
        ),
        redacts: someId,
        content: mostly(
          fc.oneof(
            fc.tuple(body, relation).map(([b, rel]) => withRelation({ msgtype: "m.text", body: b }, rel)),
            relation.map((rel) => withRelation({}, rel)),
          ),
          content,
        ),
      },
      { requiredKeys: ["event_id", "sender", "type", "content"] },
    );
    const raw = fc.oneof({ weight: 9, arbitrary: event }, { weight: 1, arbitrary: fc.anything() });

    await fc.assert(
      fc.asyncProperty(raw, async (e) => {
        await h.handle(e);
      }),
      { numRuns: 1000 },
    );
    // Failures of the handling itself (a bug, a NUL that reached the database) would be "error"; only malformed
    // events may be skipped.
    expect(h.failures.filter((f) => f.reason !== "malformed")).toEqual([]);
    const hasNul = (value: unknown): boolean =>
      typeof value === "string"
        ? value.includes(nul)
        : typeof value === "object" && value !== null && Object.values(value).some(hasNul);
    expect(h.sent.filter((s) => hasNul(s.content) || s.txnId.includes(nul))).toEqual([]);
    expect(h.failures.length).toBeGreaterThan(0);
    expect(h.sent.length).toBeGreaterThan(0);
  });
});
