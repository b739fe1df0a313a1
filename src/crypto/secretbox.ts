// libsodium secretbox (XSalsa20-Poly1305) for secrets at rest: a collected password until the account exists, a
// one-time password until its email is sent. Sealed form: nonce || ciphertext.
import type sodiumModule from "libsodium-wrappers-sumo";
import { AppError } from "../errors.ts";

export type Sodium = typeof sodiumModule;

export interface SecretBox {
  seal(plaintext: string): Uint8Array;
  open(sealed: Uint8Array): string;
}

let loaded: Promise<Sodium> | undefined;
/**
 * libsodium, loaded and initialised on first use. It is WebAssembly of about 20 MB resident, so processes that never
 * seal a secret or hash a password (a bot-only process, say) never load it.
 */
export function loadSodium(): Promise<Sodium> {
  loaded ??= import("libsodium-wrappers-sumo").then(async (module) => {
    await module.default.ready;
    return module.default;
  });
  return loaded;
}

export function decodeKey(keyBase64: string): Uint8Array {
  const key = Buffer.from(keyBase64, "base64");
  if (key.length !== 32)
    throw new AppError("config", "secrets.key must be 32 bytes in base64 (vestibule keygen)");
  return new Uint8Array(key);
}

export async function createSecretBox(keyBase64: string): Promise<SecretBox> {
  const sodium = await loadSodium();
  const key = decodeKey(keyBase64);
  const nonceBytes = sodium.crypto_secretbox_NONCEBYTES;
  return {
    seal(plaintext) {
      const nonce = sodium.randombytes_buf(nonceBytes);
      const ciphertext = sodium.crypto_secretbox_easy(sodium.from_string(plaintext), nonce, key);
      const sealed = new Uint8Array(nonce.length + ciphertext.length);
      sealed.set(nonce, 0);
      sealed.set(ciphertext, nonce.length);
      return sealed;
    },
    open(sealed) {
      if (sealed.length < nonceBytes + sodium.crypto_secretbox_MACBYTES) {
        throw new AppError("internal", "sealed secret is too short");
      }
      try {
        const plain = sodium.crypto_secretbox_open_easy(
          sealed.subarray(nonceBytes),
          sealed.subarray(0, nonceBytes),
          key,
        );
        return sodium.to_string(plain);
      } catch {
        // Wrong key or tampered data; the message never includes the data.
        throw new AppError("internal", "sealed secret cannot be opened (wrong secrets.key or damaged data)");
      }
    },
  };
}

/** A new secrets.key: 32 random bytes in base64. */
export async function generateKey(): Promise<string> {
  const sodium = await loadSodium();
  return Buffer.from(sodium.randombytes_buf(32)).toString("base64");
}
