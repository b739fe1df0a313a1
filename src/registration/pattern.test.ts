import { describe, expect, it } from "vitest";
import { checkNewPattern, compilePattern } from "./pattern.ts";
import { checkUsername, matchingBan, parseBanValue } from "./policy.ts";

describe("patterns", () => {
  it("match case-insensitively, anywhere unless anchored", () => {
    const loose = compilePattern("spam");
    const whole = compilePattern("@.*:example\\.org", { anchored: true });
    if (!loose.ok || !whole.ok) throw new Error("should compile");
    expect(loose.pattern.test("xxSPAMxx")).toBe(true);
    expect(whole.pattern.test("@ada:example.org")).toBe(true);
    // Anchored: a match inside a longer text does not count.
    expect(whole.pattern.test("@ada:example.org.evil.test")).toBe(false);
    expect(whole.pattern.test("x@ada:example.org")).toBe(false);
  });

  it("refuse nested repetitions, RE2-unsupported syntax, NUL and overlong sources with a reason", () => {
    for (const [source, reason] of [
      ["^(a+)+$", /exponential/],
      ["(x+x+)+y", /exponential/],
      ["(a)\\1", /not a valid pattern/],
      ["(?=a)b", /not a valid pattern/],
      ["a\u0000", /NUL/],
      ["a".repeat(300), /longer than/],
    ] as const) {
      const result = checkNewPattern(source);
      expect(result.ok, source).toBe(false);
      if (!result.ok) expect(result.error, source).toMatch(reason);
    }
    expect(parseBanValue("username", "^(a+)+$")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/exponential/),
    });
  });

  it("run in linear time: a pathological pattern stored before the rule existed cannot stall a sign-up", () => {
    // Written into the database by an older version; the matcher still runs it, on RE2.
    const ban = [{ id: 1, kind: "username" as const, value: "^(a+)+$", reason: null, expiresAt: null }];
    const subject = { ip: null, email: null, localpart: `${"a".repeat(30)}!` };
    // A backtracking engine needs about 2^30 steps to find no match here; RE2 answers at once.
    expect(matchingBan(ban, subject, new Date())).toBeUndefined();
    expect(matchingBan(ban, { ...subject, localpart: "aaaa" }, new Date())).toBe(ban[0]);
    expect(
      checkUsername(
        "spammer1",
        { minLength: 3, maxLength: 32, reserved: [], bannedPatterns: ["^spam"] },
        "localhost",
      ),
    ).toMatchObject({ ok: false });
  });
});
