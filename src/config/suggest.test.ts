import { describe, expect, it } from "vitest";
import { closest, editDistance } from "./suggest.ts";

describe("editDistance", () => {
  it("counts a swap of neighbours as one edit and ignores case", () => {
    expect(editDistance("listne", "listen")).toBe(1);
    expect(editDistance("accesstoken", "accessToken")).toBe(0);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});

describe("closest", () => {
  const keys = ["listen", "trustedProxies", "metricsAllowFrom", "rateLimits"];
  it("suggests a near spelling", () => {
    expect(closest("lisen", keys)).toBe("listen");
    expect(closest("trustedProxy", keys)).toBe("trustedProxies");
  });
  it("suggests nothing for a different word, or for short names that are a different word", () => {
    expect(closest("frobnicate", keys)).toBeUndefined();
    expect(closest("url", ["key", "port"])).toBeUndefined();
  });
});
