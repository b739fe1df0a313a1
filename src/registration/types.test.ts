import { describe, expect, it } from "vitest";
import {
  parseEventId,
  parseLocalpart,
  parseRequestId,
  parseRoomId,
  parseUserId,
  userIdFor,
} from "./types.ts";

describe("parseRequestId", () => {
  it("accepts what moderators type and what the database stores", () => {
    expect(parseRequestId(12)).toBe(12);
    expect(parseRequestId("12")).toBe(12);
    expect(parseRequestId("#12")).toBe(12);
    expect(parseRequestId(" #7 ")).toBe(7);
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 60, "", "#", "12a", "1e3", "0x10", "##1", null, undefined, {}])(
    "refuses %s",
    (value) => {
      expect(parseRequestId(value)).toBeUndefined();
    },
  );
});

describe("parseUserId", () => {
  it("accepts current and historical user IDs", () => {
    for (const id of ["@ada:example.org", "@a.b_c=d-e/f+g:example.org", "@Old.Name:hs:8448", "@x:[::1]:8008"])
      expect(parseUserId(id)).toBe(id);
  });

  it.each([
    "ada:example.org",
    "@:example.org",
    "@ada",
    "@ada:",
    "@ada:exa mple.org",
    "@ad a:example.org",
    "#room:example.org",
    `@${"a".repeat(250)}:example.org`,
    42,
  ])("refuses %s", (value) => {
    expect(parseUserId(value)).toBeUndefined();
  });
});

describe("parseRoomId", () => {
  it("accepts room IDs (with and without a server) and aliases", () => {
    for (const id of ["!abc:example.org", "!Xyz-_w43charsOfHash", "#welcome:example.org"])
      expect(parseRoomId(id)).toBe(id);
  });

  it.each([
    "welcome",
    "#welcome",
    "#:example.org",
    "! x:example.org",
    "@ada:example.org",
    "#a b:example.org",
  ])("refuses %s", (value) => {
    expect(parseRoomId(value)).toBeUndefined();
  });
});

describe("parseLocalpart and userIdFor", () => {
  it("accepts the grammar for new names only", () => {
    expect(parseLocalpart("ada.lovelace")).toBe("ada.lovelace");
    expect(parseLocalpart("Ada")).toBeUndefined();
    expect(parseLocalpart("a:b")).toBeUndefined();
    expect(parseLocalpart("")).toBeUndefined();
  });

  it("builds a user ID, and refuses to build a broken one", () => {
    expect(userIdFor("ada", "example.org")).toBe("@ada:example.org");
    expect(() => userIdFor("ada", "bad server")).toThrow(/not a valid user ID/);
  });
});

describe("parseEventId", () => {
  it("accepts event IDs of old and new room versions", () => {
    for (const id of ["$abc:example.org", "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"])
      expect(parseEventId(id)).toBe(id);
  });

  it.each(["", "$", "abc", "$a b", "$a\u0000b", "$é", `$${"a".repeat(255)}`, 12, null, undefined, {}])(
    "refuses %j",
    (value) => {
      expect(parseEventId(value)).toBeUndefined();
    },
  );
});
