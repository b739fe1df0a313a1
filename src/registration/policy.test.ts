import { describe, expect, it } from "vitest";
import {
  canonicalIp,
  checkUsername,
  cleanText,
  ipInCidr,
  ipNetworkOf,
  matchingBan,
  normalizeEmail,
  parseBanValue,
  type Ban,
} from "./policy.ts";
import type { EmailAddress } from "./types.ts";

const policy = {
  minLength: 3,
  maxLength: 32,
  reserved: ["admin", "root"],
  bannedPatterns: ["^support", "bot$"],
};

describe("username policy", () => {
  it("accepts the Matrix localpart grammar", () => {
    for (const ok of ["ada", "ada.lovelace", "a_b=c-d/e+f", "user123", "x9y"]) {
      expect(checkUsername(ok, policy, "example.org")).toEqual({ ok: true, value: ok });
    }
    expect(checkUsername("  ada  ", policy, "example.org")).toEqual({ ok: true, value: "ada" });
  });

  it.each([
    ["", "required"],
    ["ab", "too_short"],
    ["a".repeat(33), "too_long"],
    ["Ada", "uppercase"],
    ["ada lovelace", "invalid_characters"],
    ["adä", "invalid_characters"],
    ["ada@x", "invalid_characters"],
    ["ada:x", "invalid_characters"],
    ["12345", "all_digits"],
    ["_ada", "leading_underscore"],
    ["admin", "reserved"],
    ["support-team", "not_allowed"],
    ["helperbot", "not_allowed"],
  ])("refuses %j as %s", (name, problem) => {
    expect(checkUsername(name, policy, "example.org")).toEqual({ ok: false, problem });
  });

  it("limits the full user ID to 255 bytes", () => {
    const long = { ...policy, maxLength: 255 };
    const server = "s".repeat(200) + ".org";
    expect(checkUsername("a".repeat(49), long, server).ok).toBe(true);
    expect(checkUsername("a".repeat(50), long, server)).toEqual({ ok: false, problem: "user_id_too_long" });
  });
});

describe("email normalisation", () => {
  it("trims, lower-cases and accepts ordinary addresses", () => {
    expect(normalizeEmail("  Ada.Lovelace+vestibule@Example.ORG ")).toEqual({
      ok: true,
      value: "ada.lovelace+vestibule@example.org",
    });
    expect(normalizeEmail("o'brien@mail.example.co.uk")).toMatchObject({ ok: true });
  });
  it.each([
    "",
    "ada",
    "ada@",
    "@example.org",
    "ada@example",
    "a b@example.org",
    "ada@exa mple.org",
    "ada@example.org, eve@x.org",
    "Ada <ada@example.org>",
    "ada@example.org\r\nBcc: x@y.z",
    "ada..x@example.org",
    `${"a".repeat(65)}@example.org`,
    `a@${"b".repeat(250)}.org`,
  ])("refuses %j", (raw) => {
    expect(normalizeEmail(raw).ok).toBe(false);
  });
});

describe("bans", () => {
  const now = new Date("2026-11-22T12:00:00Z");
  const ban = (id: number, kind: Ban["kind"], value: string, expiresAt: Date | null = null): Ban => ({
    id,
    kind,
    value,
    reason: null,
    expiresAt,
  });
  const subject = (ip: string | null, email: string | null, localpart: string | null) => ({
    ip,
    email: email as EmailAddress | null,
    localpart,
  });

  it("matches IPs, CIDR blocks (v4, v6, mapped), emails, domains with subdomains and username patterns", () => {
    const bans = [
      ban(1, "ip", "192.0.2.0/24"),
      ban(2, "ip", "2001:db8::/32"),
      ban(3, "email", "eve@example.org"),
      ban(4, "domain", "spam.test"),
      ban(5, "username", "^evil"),
    ];
    expect(matchingBan(bans, subject("192.0.2.77", null, null), now)?.id).toBe(1);
    expect(matchingBan(bans, subject("::ffff:192.0.2.8", null, null), now)?.id).toBe(1);
    expect(matchingBan(bans, subject("192.0.3.1", null, null), now)).toBeUndefined();
    expect(matchingBan(bans, subject("2001:db8:1::5", null, null), now)?.id).toBe(2);
    expect(matchingBan(bans, subject("2001:db9::5", null, null), now)).toBeUndefined();
    expect(matchingBan(bans, subject(null, "eve@example.org", null), now)?.id).toBe(3);
    expect(matchingBan(bans, subject(null, "x@mail.spam.test", null), now)?.id).toBe(4);
    expect(matchingBan(bans, subject(null, "x@notspam.test", null), now)).toBeUndefined();
    expect(matchingBan(bans, subject(null, null, "evilcorp"), now)?.id).toBe(5);
  });

  it("ignores expired bans", () => {
    const bans = [ban(1, "email", "eve@example.org", new Date("2026-11-22T11:59:59Z"))];
    expect(matchingBan(bans, subject(null, "eve@example.org", null), now)).toBeUndefined();
  });

  it("validates and normalises new ban values", () => {
    expect(parseBanValue("ip", "10.0.0.0/8")).toEqual({ ok: true, value: "10.0.0.0/8" });
    expect(parseBanValue("ip", "::ffff:10.1.2.3")).toEqual({ ok: true, value: "10.1.2.3" });
    expect(parseBanValue("ip", "10.0.0.0/33").ok).toBe(false);
    expect(parseBanValue("ip", "example.org").ok).toBe(false);
    expect(parseBanValue("email", "Eve@Example.org")).toEqual({ ok: true, value: "eve@example.org" });
    expect(parseBanValue("domain", "@Spam.Test")).toEqual({ ok: true, value: "spam.test" });
    expect(parseBanValue("domain", "not a domain").ok).toBe(false);
    expect(parseBanValue("username", "(").ok).toBe(false);
  });

  it("spells every address one way (RFC 5952), so seven spellings are one address", () => {
    const spellings = [
      "2001:db8::55",
      "2001:0db8::55",
      "2001:DB8::55",
      "2001:db8:0:0:0:0:0:55",
      "2001:0DB8:0000:0000:0000:0000:0000:0055",
      "2001:db8::0:55",
      "2001:db8::55%eth0",
    ];
    expect(new Set(spellings.map(canonicalIp))).toEqual(new Set(["2001:db8::55"]));
    expect(canonicalIp("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(canonicalIp("::FFFF:c000:0201")).toBe("192.0.2.1");
    expect(canonicalIp("::1")).toBe("::1");
    expect(canonicalIp("::")).toBe("::");
    // Only runs of two or more zero groups are compressed, and the longest (the first of equal ones) wins.
    expect(canonicalIp("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1");
    expect(canonicalIp("2001:0:0:1:0:0:0:1")).toBe("2001:0:0:1::1");
    expect(canonicalIp("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIp("not-an-ip")).toBe("not-an-ip");
  });

  it("counts IPv6 clients per network of the configured prefix, IPv4 clients per address", () => {
    const hosts = [1, 2, 3, 4, 5, 6, 7].map((n) => `2001:db8:1:2::${n}`);
    expect(new Set(hosts.map((h) => ipNetworkOf(h, 64)))).toEqual(new Set(["2001:db8:1:2::/64"]));
    expect(ipNetworkOf("2001:db8:1:2:aaaa::1", 48)).toBe("2001:db8:1::/48");
    expect(ipNetworkOf("2001:db8:1:2::1", 128)).toBe("2001:db8:1:2::1");
    expect(ipNetworkOf("::ffff:10.0.0.7", 64)).toBe("10.0.0.7");
    expect(ipNetworkOf("10.0.0.7", 64)).toBe("10.0.0.7");
  });

  it("matches bans on the normalised form, whatever spelling the ban or the client used", () => {
    const now = new Date();
    const ban = (value: string) => [{ id: 1, kind: "ip" as const, value, reason: null, expiresAt: null }];
    const subject = (ip: string) => ({ ip, email: null, localpart: null });
    expect(parseBanValue("ip", "2001:0DB8::0055")).toEqual({ ok: true, value: "2001:db8::55" });
    expect(parseBanValue("ip", "2001:0db8:0::/48")).toEqual({ ok: true, value: "2001:db8::/48" });
    expect(matchingBan(ban("2001:db8::55"), subject("2001:0db8:0:0::55"), now)).toBeDefined();
    // A ban stored before normalisation still matches.
    expect(matchingBan(ban("2001:0db8::55"), subject("2001:db8::55"), now)).toBeDefined();
    expect(matchingBan(ban("2001:db8::/48"), subject("2001:DB8:0:ffff::1"), now)).toBeDefined();
    expect(matchingBan(ban("192.0.2.1"), subject("::ffff:192.0.2.1"), now)).toBeDefined();
    expect(matchingBan(ban("2001:db8::55"), subject("2001:db8::56"), now)).toBeUndefined();
  });

  it("CIDR arithmetic", () => {
    expect(ipInCidr("10.255.0.1", "10.0.0.0/8")).toBe(true);
    expect(ipInCidr("11.0.0.1", "10.0.0.0/8")).toBe(false);
    expect(ipInCidr("fe80::1", "fe80::/10")).toBe(true);
    expect(ipInCidr("10.0.0.1", "fe80::/10")).toBe(false);
    expect(ipInCidr("1.2.3.4", "0.0.0.0/0")).toBe(true);
  });
});

describe("text fields", () => {
  it("caps length and refuses control characters; notes keep newlines", () => {
    expect(cleanText(" Ada ", { multiline: false, max: 10 })).toEqual({ ok: true, value: "Ada" });
    expect(cleanText("a".repeat(11), { multiline: false, max: 10 })).toEqual({
      ok: false,
      problem: "too_long",
    });
    expect(cleanText("a\u0000b", { multiline: false, max: 10 })).toEqual({ ok: false, problem: "invalid" });
    expect(cleanText("line1\r\nline2", { multiline: true, max: 100 })).toEqual({
      ok: true,
      value: "line1\nline2",
    });
    expect(cleanText("line1\nline2", { multiline: false, max: 100 })).toEqual({
      ok: false,
      problem: "invalid",
    });
  });

  it("refuses bidi controls, separators and zero-width characters, but keeps joiners inside words and emoji", () => {
    const name = { multiline: false, max: 100 };
    const note = { multiline: true, max: 1000 };
    for (const sneaky of [
      "Ada\u202eecalevol", // right-to-left override
      "Ada\u2066x\u2069", // isolates
      "Ada\u200fLovelace", // right-to-left mark
      "Ada\u2028Status: Approved", // line separator in a one-line field
      "Ad\u200ba", // zero-width space
      "\u200dAda", // a joiner at the start joins nothing
      "Ad\ufeffa", // a byte-order mark inside (trim already drops one at the ends)
      "Ada\u0085", // C1 next line
    ]) {
      expect(cleanText(sneaky, name), JSON.stringify(sneaky)).toEqual({ ok: false, problem: "invalid" });
      expect(cleanText(sneaky, note), JSON.stringify(sneaky)).toEqual({ ok: false, problem: "invalid" });
    }
    expect(cleanText("I need a note.\u2029Status: ✅ Approved", note)).toEqual({
      ok: false,
      problem: "invalid",
    });
    // Persian with ZWNJ, and an emoji family (ZWJ sequence), are ordinary text.
    expect(cleanText("می\u200cخواهم", name)).toEqual({ ok: true, value: "می\u200cخواهم" });
    expect(cleanText("👩\u200d👩\u200d👧", name)).toEqual({ ok: true, value: "👩\u200d👩\u200d👧" });
  });
});
