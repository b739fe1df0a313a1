// IP addresses and CIDR blocks: parsing and matching, for trusted proxies, bans and the /metrics allow-list.
import { BlockList, isIP } from "node:net";
import { canonicalIp } from "../registration/policy.ts";

/** A matcher for a list of IPs/CIDRs (already validated by the config schema or the ban command). */
export function ipMatcher(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split("/");
    const family = isIP(address ?? "");
    if (family === 0) continue;
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(canonicalIp(address!), type);
    else list.addSubnet(address!, Number(bits), type);
  }
  return (raw) => {
    const address = canonicalIp(raw);
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 4 ? "ipv4" : "ipv6");
  };
}

/**
 * The client's address: the direct peer, unless the peer is a trusted proxy — then X-Forwarded-For is read from the
 * right, skipping trusted proxies, and the first address that is not one is the client. A spoofed header from an
 * untrusted peer is ignored; a spoofed leftmost entry behind a trusted proxy is never reached.
 */
export function clientAddress(
  trusted: (address: string) => boolean,
  peer: string,
  forwardedFor: string | undefined,
): string {
  const direct = canonicalIp(peer);
  if (!trusted(direct)) return direct;
  const forwarded = (forwardedFor ?? "")
    .split(",")
    .map((part) => canonicalIp(part.trim()))
    .filter((part) => isIP(part) !== 0);
  for (let i = forwarded.length - 1; i >= 0; i--) if (!trusted(forwarded[i]!)) return forwarded[i]!;
  return forwarded[0] ?? direct;
}
