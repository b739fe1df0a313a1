export { randomToken, hashToken, isTokenShaped, randomPassword, constantTimeEqual } from "./tokens.ts";
export { createSecretBox, generateKey, loadSodium, decodeKey, type SecretBox } from "./secretbox.ts";
export {
  createPasswordHasher,
  resolveLimits,
  type PasswordHasher,
  type PasswordHasherOptions,
  type PwhashLimit,
} from "./password-hasher.ts";
