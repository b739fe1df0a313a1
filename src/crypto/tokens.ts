// Random tokens handed to people (links) and the hash under which they are stored.
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

/** 256 random bits, base64url without padding (43 characters): unguessable, safe in URLs. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Tokens are stored as SHA-256 digests: a fast hash is right for 256-bit random values (nothing to brute-force). */
export function hashToken(token: string): Uint8Array {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Has the shape of a token from randomToken() (checked before any database lookup). */
export function isTokenShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

// No 0/O, 1/l/I: one-time passwords get typed from an email.
const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A one-time password: `length` characters from an unambiguous alphabet (20 chars ≈ 117 bits). */
export function randomPassword(length = 20): string {
  let password = "";
  for (let i = 0; i < length; i++) password += passwordAlphabet[randomInt(passwordAlphabet.length)];
  return password;
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}
