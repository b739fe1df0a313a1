// Sign-up policy: what a username, an email address and the other fields must look like, and whether a ban
// applies. Pure functions; the web layer translates the error codes.
import { isIP } from "node:net";
import { checkNewPattern, compilePattern } from "./pattern.ts";
import { parseLocalpart, type EmailAddress, type Localpart } from "./types.ts";

/** A stored pattern runs on RE2; one that does not compile there (written for another engine) matches nothing. */
function matchesPattern(source: string, text: string): boolean {
  const compiled = compilePattern(source);
  return compiled.ok && compiled.pattern.test(text);
}

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
  if (policy.bannedPatterns.some((pattern) => matchesPattern(pattern, name)))
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

/**
 * One spelling per address, so bans, limits and counts see one address as one: IPv4-mapped IPv6 (`::ffff:1.2.3.4`)
 * becomes the IPv4 address, IPv6 takes its RFC 5952 form (lower case, no leading zeros, the longest run of two or
 * more zero groups as `::`), a zone (`%eth0`) is dropped. Anything that is not an IP address is returned lower-cased.
 */
export function canonicalIp(address: string): string {
  const bare = address.trim().replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return bare.split(".").map(Number).join(".");
  if (family !== 6) return address.trim().toLowerCase();
  const value = ipToBigInt(bare, 6);
  if (value >> 32n === 0xffffn) return formatIpv4(value & 0xffffffffn);
  return formatIpv6(value);
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of zero groups (the first of equal ones), compressed only when it is two or more long.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.length < 2) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

/**
 * The network a limit or a count is kept for: an IPv4 address itself; for IPv6 the enclosing /`v6PrefixBits`
 * network (a /64 by default: one subscriber usually gets a whole /64, so per-address limits would not limit them).
 */
export function ipNetworkOf(address: string, v6PrefixBits: number): string {
  const canonical = canonicalIp(address);
  if (isIP(canonical) !== 6) return canonical;
  const bits = Math.min(128, Math.max(0, Math.trunc(v6PrefixBits)));
  if (bits === 128) return canonical;
  const host = 128n - BigInt(bits);
  return `${formatIpv6((ipToBigInt(canonical, 6) >> host) << host)}/${bits}`;
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
        return subject.localpart !== null && matchesPattern(ban.value, subject.localpart);
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
  // A NUL byte cannot be stored (PostgreSQL text) and no control character belongs in any kind of ban.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    return { ok: false, error: "the value contains control characters" };
  if (value.length > 300) return { ok: false, error: "the value is longer than 300 characters" };
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
        value: bits === undefined ? canonicalIp(address!) : `${canonicalIp(address!)}/${Number(bits)}`,
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
    case "username": {
      const compiled = checkNewPattern(value);
      return compiled.ok ? { ok: true, value } : { ok: false, error: compiled.error };
    }
  }
}

/** Plain text fields: trimmed, capped, and refused when they hold control or invisible formatting characters. */
export function cleanText(
  raw: string,
  options: { multiline: boolean; max: number },
): FieldResult<string, "too_long" | "invalid"> {
  const text = options.multiline ? raw.replace(/\r\n?/g, "\n").trim() : raw.trim();
  if (text.length > options.max) return { ok: false, problem: "too_long" };
  /* eslint-disable no-control-regex -- control characters are what these match */
  const control = options.multiline
    ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/
    : /[\u0000-\u001f\u007f-\u009f]/;
  /* eslint-enable no-control-regex */
  if (control.test(text) || invisible.test(text) || strayJoiner.test(text))
    return { ok: false, problem: "invalid" };
  return { ok: true, value: text };
}

/**
 * Characters that change how the text around them looks without being seen themselves: bidirectional embeddings,
 * overrides, isolates and marks (they can reorder a moderator's view of a message, or make a name look like
 * another), line and paragraph separators (a new line where none is allowed), zero-width spaces, the word joiner
 * and invisible operators, the byte-order mark, and the Mongolian vowel separator. Nothing in a name or a note needs
 * them.
 */
const invisible = /[\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;
/**
 * ZWNJ and ZWJ are part of writing Persian, the Indic scripts and emoji sequences, so they are kept between two
 * letters, marks or pictographs — and refused anywhere else, where they can only hide something.
 */
const strayJoiner =
  /(?<![\p{L}\p{M}\p{Extended_Pictographic}])[\u200c\u200d]|[\u200c\u200d](?![\p{L}\p{M}\p{Extended_Pictographic}])/u;
