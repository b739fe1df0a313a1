// Bans on IPs/CIDRs, email addresses, email domains and username patterns: the one implementation behind !ban,
// `vestibule bans` and the portal's bans page. Each change writes its audit row in the same transaction.
import { banKinds, isBanKind, parseBanValue, type BanKind } from "../registration/policy.ts";
import { actorLabel, type Actor } from "../registration/types.ts";
import { invalid, optionalLine, parseExpiry, type Invalid } from "./input.ts";
import type { BanRecord, BanStore, BanTarget } from "./ports.ts";

export interface BanDeps {
  bans: BanStore;
  clock: () => Date;
}

export interface AddBanInput {
  /** ip, email, domain or username (as typed). */
  kind: string;
  value: string;
  /** A duration such as "30d"; empty, "never" or "permanent" for a ban without end. */
  expires?: string | null;
  reason?: string | null;
  /** The Matrix event that asked for it (!ban): claimed in the ban's transaction, so a replay bans nothing twice. */
  handledEventId?: string;
}

export type AddBanResult =
  { ok: true; ban: BanRecord; created: boolean } | Invalid<"kind" | "value" | "expires" | "reason">;

/** The event asking for the ban was handled before: nothing changed. Only when `handledEventId` was given. */
export type Duplicate = { ok: false; reason: "duplicate" };

const kindList = banKinds.join(", ");

function checkKind(kind: string): { ok: true; kind: BanKind } | Invalid<"kind"> {
  const trimmed = kind.trim().toLowerCase();
  return isBanKind(trimmed)
    ? { ok: true, kind: trimmed }
    : invalid("kind", kind, `the kind must be one of ${kindList}`);
}

/** What the audit row says about a ban: the same from the room, the portal and the CLI. */
function auditDetail(ban: BanRecord): Record<string, unknown> {
  return {
    id: ban.id,
    kind: ban.kind,
    value: ban.value,
    reason: ban.reason,
    expiresAt: ban.expiresAt?.toISOString() ?? null,
  };
}

export function addBan(
  deps: BanDeps,
  actor: Actor,
  input: AddBanInput & { handledEventId: string },
): Promise<AddBanResult | Duplicate>;
export function addBan(deps: BanDeps, actor: Actor, input: AddBanInput): Promise<AddBanResult>;
export async function addBan(
  deps: BanDeps,
  actor: Actor,
  input: AddBanInput,
): Promise<AddBanResult | Duplicate> {
  const kind = checkKind(input.kind);
  if (!kind.ok) return kind;
  const value = parseBanValue(kind.kind, input.value);
  if (!value.ok) return invalid("value", input.value, value.error);
  const expiry = parseExpiry(input.expires, null);
  if (!expiry)
    return invalid(
      "expires",
      input.expires ?? "",
      "the expiry must be a duration such as 12h or 30d, or never",
    );
  const reason = optionalLine(input.reason, 500);
  if (!reason.ok)
    return invalid("reason", input.reason ?? "", `the reason is refused: ${reason.explanation}`);

  const now = deps.clock();
  const label = actorLabel(actor);
  return deps.bans.transaction(async (tx): Promise<AddBanResult | Duplicate> => {
    if (input.handledEventId !== undefined && !(await tx.claimEvent(input.handledEventId, now)))
      return { ok: false, reason: "duplicate" };
    const { ban, created } = await tx.upsert(
      {
        kind: kind.kind,
        value: value.value,
        reason: reason.value,
        expiresAt: expiry.ms === null ? null : new Date(now.getTime() + expiry.ms),
        createdBy: label,
      },
      now,
    );
    await tx.audit({ actor: label, action: "ban_added", detail: { ...auditDetail(ban), created } }, now);
    return { ok: true, ban, created };
  });
}

/** Which ban to lift: its number ("12", "#12"), or its kind and value. */
export type LiftBanInput = { id: string | number } | { kind: string; value: string };

export type LiftBanResult =
  { ok: true; lifted: BanRecord[] } | { ok: false; reason: "not_found" } | Invalid<"id" | "kind" | "value">;

export async function liftBan(deps: BanDeps, actor: Actor, input: LiftBanInput): Promise<LiftBanResult> {
  let target: BanTarget;
  if ("id" in input) {
    const text = String(input.id).trim();
    if (!/^#?\d{1,9}$/.test(text) || Number(text.replace("#", "")) === 0)
      return invalid("id", text, `"${text}" is not a ban number`);
    target = { id: Number(text.replace("#", "")) };
  } else {
    const kind = checkKind(input.kind);
    if (!kind.ok) return kind;
    const value = parseBanValue(kind.kind, input.value);
    if (!value.ok) return invalid("value", input.value, value.error);
    target = { kind: kind.kind, value: value.value };
  }
  const now = deps.clock();
  const label = actorLabel(actor);
  return deps.bans.transaction(async (tx) => {
    const lifted = await tx.remove(target);
    if (lifted.length === 0) return { ok: false, reason: "not_found" };
    for (const ban of lifted)
      await tx.audit({ actor: label, action: "ban_lifted", detail: auditDetail(ban) }, now);
    return { ok: true, lifted };
  });
}

/** The bans in force (or all, with expired ones), oldest first. Reading changes nothing and is not audited. */
export async function listBans(
  deps: BanDeps,
  input: { includeExpired?: boolean } = {},
): Promise<BanRecord[]> {
  return deps.bans.list({ includeExpired: input.includeExpired ?? false, now: deps.clock() });
}
