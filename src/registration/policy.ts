// Sign-up policy: what a username, an email address and the other fields must look like, and whether a ban
// applies. Pure functions; the web layer translates the error codes.
import { isIP } from "node:net";
import { parseLocalpart, type EmailAddress, type Localpart } from "./types.ts";

export interface UsernamePolicy {
  minLength: number;
  maxLength: number;
  reserved: readonly string[];
  bannedPatterns: readonly string[];
}

export type UsernameProblem =
  | "required"
  | "too_short"
  | "too_long"
  | "uppercase"
  | "invalid_characters"
  | "all_digits"
  | "leading_underscore"
  | "user_id_too_long"
  | "reserved"
  | "not_allowed";

export type FieldResult<T, P extends string> = { ok: true; value: T } | { ok: false; problem: P };

/**
 * Matrix localpart rules (spec appendix "User Identifiers", v1.8+), plus Synapse's own refusals and the operator's
 * policy. Lower case only: an upper-case name is refused with a hint rather than silently changed.
 */
export function checkUsername(
  raw: string,
  policy: UsernamePolicy,
  serverName: string,
): FieldResult<Localpart, UsernameProblem> {
  const name = raw.trim();
  if (name === "") return { ok: false, problem: "required" };
  if (name.length < policy.minLength) return { ok: false, problem: "too_short" };
  if (name.length > policy.maxLength) return { ok: false, problem: "too_long" };
  if (/[A-Z]/.test(name) && /^[A-Za-z0-9._=\-/+]+$/.test(name)) return { ok: false, problem: "uppercase" };
  if (!/^[a-z0-9._=\-/+]+$/.test(name)) return { ok: false, problem: "invalid_characters" };
  if (/^[0-9]+$/.test(name)) return { ok: false, problem: "all_digits" };
  if (name.startsWith("_")) return { ok: false, problem: "leading_underscore" };
  if (Buffer.byteLength(`@${name}:${serverName}`, "utf8") > 255)
    return { ok: false, problem: "user_id_too_long" };
  if (policy.reserved.some((r) => r.toLowerCase() === name)) return { ok: false, problem: "reserved" };
  if (policy.bannedPatterns.some((pattern) => new RegExp(pattern, "iu").test(name)))
    return { ok: false, problem: "not_allowed" };
  const localpart = parseLocalpart(name);
  return localpart ? { ok: true, value: localpart } : { ok: false, problem: "invalid_characters" };
}

export type EmailProblem = "required" | "invalid" | "too_long";

/**
 * A single plain address. Normalised: trimmed, domain lower-cased (domains are case-insensitive); the local part
 * keeps its case for delivery, but comparisons (uniqueness, bans, cooldown) use the lower-cased form, because
 * practically every provider treats it case-insensitively and "Ada@" vs "ada@" must not dodge a ban.
 */
export function normalizeEmail(raw: string): FieldResult<EmailAddress, EmailProblem> {
  const email = raw.trim();
  if (email === "") return { ok: false, problem: "required" };
  if (email.length > 254) return { ok: false, problem: "too_long" };
  const at = email.lastIndexOf("@");
  if (at < 1 || at === email.length - 1) return { ok: false, problem: "invalid" };
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  if (local.length > 64) return { ok: false, problem: "invalid" };
  // Dot-atom local part (RFC 5322 without quoted strings); no spaces, commas, angle brackets or control characters.
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local))
    return { ok: false, problem: "invalid" };
  // A DNS name with at least one dot, labels of letters, digits and hyphens (IDN must arrive as punycode).
  if (!/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(domain)) {
    return { ok: false, problem: "invalid" };
  }
  return { ok: true, value: `${local.toLowerCase()}@${domain}` as EmailAddress };
}

/** The parser for stored or configured addresses: the normalised address, or undefined when it is not one. */
export function parseEmailAddress(input: unknown): EmailAddress | undefined {
  if (typeof input !== "string") return undefined;
  const normalized = normalizeEmail(input);
  return normalized.ok ? normalized.value : undefined;
}

export function emailDomain(email: EmailAddress): string {
  return email.slice(email.lastIndexOf("@") + 1);
}

export type BanKind = "ip" | "email" | "domain" | "username";

export interface Ban {
  id: number;
  kind: BanKind;
  value: string;
  reason: string | null;
  expiresAt: Date | null;
}

export interface BanSubject {
  ip: string | null;
  email: EmailAddress | null;
  localpart: string | null;
}

/** IPv4 or IPv6 CIDR membership (address and network already validated). */
export function ipInCidr(address: string, cidr: string): boolean {
  const [network, bitsText] = cidr.split("/");
  const family = isIP(address);
  if (!network || family === 0 || isIP(network) !== family) return false;
  const bits = bitsText === undefined ? (family === 4 ? 32 : 128) : Number(bitsText);
  const a = ipToBigInt(address, family);
  const n = ipToBigInt(network, family);
  const width = family === 4 ? 32 : 128;
  const shift = BigInt(width - bits);
  return a >> shift === n >> shift;
}

function ipToBigInt(address: string, family: number): bigint {
  if (family === 4) return address.split(".").reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
  // Expand "::" and an embedded IPv4 tail.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipToBigInt(v4[1]!, 4);
    text = text.replace(v4[1]!, `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`);
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const headParts = head === "" ? [] : head.split(":");
  const tailParts = tail === undefined || tail === "" ? [] : tail.split(":");
  const fill = tail === undefined ? [] : Array<string>(8 - headParts.length - tailParts.length).fill("0");
  return [...headParts, ...fill, ...tailParts].reduce(
    (acc, part) => (acc << 16n) + BigInt(parseInt(part || "0", 16)),
    0n,
  );
}

/** Strips an IPv4-mapped IPv6 prefix, so one ban matches both forms. */
export function canonicalIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address.toLowerCase();
}

/** The first ban in force that matches the subject, if any. */
export function matchingBan(bans: readonly Ban[], subject: BanSubject, now: Date): Ban | undefined {
  const ip = subject.ip ? canonicalIp(subject.ip) : null;
  const domain = subject.email ? emailDomain(subject.email) : null;
  return bans.find((ban) => {
    if (ban.expiresAt && ban.expiresAt <= now) return false;
    switch (ban.kind) {
      case "ip":
        return (
          ip !== null && (ban.value.includes("/") ? ipInCidr(ip, ban.value) : canonicalIp(ban.value) === ip)
        );
      case "email":
        return subject.email !== null && ban.value.toLowerCase() === subject.email;
      case "domain": {
        // A domain ban covers its subdomains: banning example.org bans mail.example.org too.
        const banned = ban.value.toLowerCase().replace(/^@/, "");
        return domain !== null && (domain === banned || domain.endsWith(`.${banned}`));
      }
      case "username":
        try {
          return subject.localpart !== null && new RegExp(ban.value, "iu").test(subject.localpart);
        } catch {
          return false;
        }
    }
  });
}

export const banKinds: readonly BanKind[] = ["ip", "email", "domain", "username"];

export function isBanKind(value: string | undefined): value is BanKind {
  return value !== undefined && (banKinds as readonly string[]).includes(value);
}

/** One line about a ban, the same in the CLI and the moderators' room. */
export function describeBan(ban: Ban & { createdBy: string }, now: Date): string {
  const expiry = ban.expiresAt
    ? `${ban.expiresAt <= now ? "expired" : "until"} ${ban.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC`
    : "permanent";
  return `#${ban.id}  ${ban.kind.padEnd(8)} ${ban.value}  (${expiry}; by ${ban.createdBy})${ban.reason ? `  ${ban.reason}` : ""}`;
}

/** Checks the value of a new ban for its kind; returns the normalised value or why it is not valid. */
export function parseBanValue(
  kind: BanKind,
  raw: string,
): { ok: true; value: string } | { ok: false; error: string } {
  const value = raw.trim();
  if (value === "") return { ok: false, error: "the value is empty" };
  switch (kind) {
    case "ip": {
      const [address, bits, extra] = value.split("/");
      const family = isIP(address ?? "");
      if (family === 0 || extra !== undefined)
        return { ok: false, error: `"${value}" is not an IP address or CIDR block` };
      if (bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128))) {
        return { ok: false, error: `"${value}" has an invalid prefix length` };
      }
      return {
        ok: true,
        value: bits === undefined ? canonicalIp(address!) : `${address!.toLowerCase()}/${Number(bits)}`,
      };
    }
    case "email": {
      const email = normalizeEmail(value);
      return email.ok
        ? { ok: true, value: email.value }
        : { ok: false, error: `"${value}" is not an email address` };
    }
    case "domain": {
      const domain = value.toLowerCase().replace(/^@/, "");
      return /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(domain)
        ? { ok: true, value: domain }
        : { ok: false, error: `"${value}" is not a domain name` };
    }
    case "username":
      try {
        new RegExp(value, "iu");
        return { ok: true, value };
      } catch {
        return { ok: false, error: `"${value}" is not a valid regular expression` };
      }
  }
}

/** Plain text fields: trimmed, control characters (except newlines in notes) refused by the caller's cap. */
export function cleanText(
  raw: string,
  options: { multiline: boolean; max: number },
): FieldResult<string, "too_long" | "invalid"> {
  const text = options.multiline ? raw.replace(/\r\n?/g, "\n").trim() : raw.trim();
  if (text.length > options.max) return { ok: false, problem: "too_long" };
  // eslint-disable-next-line no-control-regex
  const control = options.multiline ? /[\u0000-\u0009\u000b-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
  if (control.test(text)) return { ok: false, problem: "invalid" };
  return { ok: true, value: text };
}
