// Input checks shared by the moderation use cases. Every use case validates what it is given, once, here in the
// core; adapters pass the text as typed and only translate the outcome. `explanation` is plain English for the CLI
// and the log; the portal and the bot render their own text from `field` and `value`.
import { parseDuration } from "../registration/duration.ts";
import { cleanText } from "../registration/policy.ts";

/** Bad input to a use case: which field, what was given, and why it is refused. */
export interface Invalid<F extends string = string> {
  ok: false;
  reason: "invalid";
  field: F;
  value: string;
  explanation: string;
}

export function invalid<F extends string>(field: F, value: string, explanation: string): Invalid<F> {
  return { ok: false, reason: "invalid", field, value, explanation };
}

/** Dates beyond this are refused: a typo like "9999999d" must not make an unrepresentable expiry. */
const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/**
 * A duration from now as typed: empty → `fallback`, "never"/"permanent" → null (no expiry), else "30m", "12h", "7d",
 * "2w", "1d12h". Returns undefined when the text is none of these.
 */
export function parseExpiry(
  text: string | null | undefined,
  fallback: number | null,
): { ms: number | null } | undefined {
  const trimmed = (text ?? "").trim().toLowerCase();
  if (trimmed === "") return { ms: fallback };
  if (trimmed === "never" || trimmed === "permanent") return { ms: null };
  const ms = parseDuration(trimmed);
  if (ms === null || ms > MAX_DURATION_MS) return undefined;
  return { ms };
}

/** A single-line free text (reason, note): trimmed, no control characters, at most `max`; empty → null. */
export function optionalLine(
  text: string | null | undefined,
  max: number,
): { ok: true; value: string | null } | { ok: false; explanation: string } {
  const cleaned = cleanText(text ?? "", { multiline: false, max });
  if (!cleaned.ok)
    return {
      ok: false,
      explanation:
        cleaned.problem === "too_long"
          ? `it is longer than ${max} characters`
          : "it contains control characters",
    };
  return { ok: true, value: cleaned.value === "" ? null : cleaned.value };
}
