import { describe, expect, it } from "vitest";
import {
  createPasswordHasher,
  createSecretBox,
  generateKey,
  hashToken,
  isTokenShaped,
  randomPassword,
  randomToken,
  constantTimeEqual,
} from "./index.ts";

describe("tokens", () => {
  it("are 256-bit, URL-safe and distinct", () => {
    const tokens = new Set(Array.from({ length: 1000 }, randomToken));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, "base64url")).toHaveLength(32);
      expect(isTokenShaped(token)).toBe(true);
    }
    expect(isTokenShaped("short")).toBe(false);
    expect(isTokenShaped(`${randomToken()}/`)).toBe(false);
  });

  it("hash to a stable SHA-256 digest", () => {
    const token = randomToken();
    expect(Buffer.from(hashToken(token)).equals(Buffer.from(hashToken(token)))).toBe(true);
    expect(hashToken(token)).toHaveLength(32);
    expect(Buffer.from(hashToken("abc")).toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("one-time passwords avoid ambiguous characters", () => {
    const password = randomPassword(200);
    expect(password).toHaveLength(200);
    expect(password).not.toMatch(/[0O1lI]/);
    expect(randomPassword()).toHaveLength(20);
  });

  it("constant-time comparison", () => {
    expect(constantTimeEqual("secret", "secret")).toBe(true);
    expect(constantTimeEqual("secret", "secreT")).toBe(false);
    expect(constantTimeEqual("secret", "secret!")).toBe(false);
  });
});

describe("secretbox", () => {
  it("round-trips, uses a fresh nonce, and detects tampering and wrong keys", async () => {
    const key = await generateKey();
    expect(Buffer.from(key, "base64")).toHaveLength(32);
    const box = await createSecretBox(key);
    const a = box.seal("correct horse battery staple ✓");
    const b = box.seal("correct horse battery staple ✓");
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(box.open(a)).toBe("correct horse battery staple ✓");
    expect(Buffer.from(a).toString("utf8")).not.toContain("horse");
    const tampered = new Uint8Array(a);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => box.open(tampered)).toThrow(/cannot be opened/);
    const other = await createSecretBox(await generateKey());
    expect(() => other.open(a)).toThrow(/cannot be opened/);
    expect(() => box.open(new Uint8Array(5))).toThrow(/too short/);
  });

  it("refuses a key that is not 32 bytes", async () => {
    await expect(createSecretBox(Buffer.alloc(16).toString("base64"))).rejects.toThrow(/32 bytes/);
  });
});

describe("password hasher (argon2id in worker threads)", () => {
  it("hashes and verifies, rejects wrong passwords and malformed hashes", async () => {
    const hasher = await createPasswordHasher({
      opsLimit: "interactive",
      memLimit: "interactive",
      threads: 2,
    });
    try {
      const hash = await hasher.hash("hunter2 ü");
      expect(hash).toMatch(/^\$argon2id\$/);
      expect(await hasher.verify(hash, "hunter2 ü")).toBe(true);
      expect(await hasher.verify(hash, "hunter2 u")).toBe(false);
      expect(await hasher.verify("not a hash", "x")).toBe(false);
      expect(await hasher.needsRehash(hash)).toBe(false);
      expect((await hasher.dummyHash()).startsWith("$argon2id$")).toBe(true);
      expect(await hasher.dummyHash()).toBe(await hasher.dummyHash());
    } finally {
      await hasher.close();
    }
  });

  it("flags hashes made with other limits for rehashing", async () => {
    const weak = await createPasswordHasher({ opsLimit: 1, memLimit: 8192 * 8, threads: 1 });
    const normal = await createPasswordHasher({
      opsLimit: "interactive",
      memLimit: "interactive",
      threads: 1,
    });
    try {
      const hash = await weak.hash("pw");
      expect(await normal.verify(hash, "pw")).toBe(true);
      expect(await normal.needsRehash(hash)).toBe(true);
    } finally {
      await weak.close();
      await normal.close();
    }
  });

  it("runs many verifications in parallel off the main thread", async () => {
    const hasher = await createPasswordHasher({
      opsLimit: "interactive",
      memLimit: "interactive",
      threads: 2,
    });
    try {
      const hash = await hasher.hash("parallel");
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => hasher.verify(hash, i % 2 === 0 ? "parallel" : "wrong")),
      );
      clearInterval(timer);
      expect(results).toEqual([true, false, true, false, true, false, true, false]);
      // Eight ~100 ms hashes on the main thread would starve the timer; in workers it keeps ticking.
      expect(ticks).toBeGreaterThan(10);
    } finally {
      await hasher.close();
    }
  });

  it("refuses calls after close", async () => {
    const hasher = await createPasswordHasher({
      opsLimit: "interactive",
      memLimit: "interactive",
      threads: 1,
    });
    await hasher.close();
    await expect(hasher.hash("x")).rejects.toThrow(/closed/);
  });
});

describe("password hasher lifecycle", () => {
  it("settles calls still running when it closes, and its workers end", async () => {
    const hasher = await createPasswordHasher({
      opsLimit: "interactive",
      memLimit: "interactive",
      threads: 1,
    });
    const inFlight = expect(hasher.hash("slow")).rejects.toThrow(/closed/);
    await hasher.close();
    await inFlight;
  });
});
