// Regular expressions that moderators and operators write (username bans, registration.username.bannedPatterns,
// !allow patterns) run on RE2 (re2js, a linear-time engine): no pattern can make a sign-up take seconds, whatever
// it is matched against. Patterns that would be exponential in a backtracking engine (nested quantifiers such as
// `^(a+)+$`) are still refused when added — they are almost always a mistake, and the refusal says so — and so
// are features RE2 does not have (backreferences, lookaround).
import { RE2JS } from "re2js";
import isSafeRegex from "safe-regex2";

export interface Pattern {
  readonly source: string;
  /** Case-insensitive; anchored patterns must match the whole text, the others anywhere in it. */
  test(text: string): boolean;
}

export type PatternResult = { ok: true; pattern: Pattern } | { ok: false; error: string };

/** Longest pattern accepted: a ban or permission pattern is a line, not a program. */
export const MAX_PATTERN_LENGTH = 256;

const cache = new Map<string, PatternResult>();
const CACHE_SIZE = 1_000;

export function compilePattern(source: string, options: { anchored?: boolean } = {}): PatternResult {
  const key = `${options.anchored ? "a" : "u"}:${source}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const result = compile(source, options.anchored ?? false);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, result);
  return result;
}

/**
 * A pattern someone is adding now (a ban, a permission, the config): compiled, and refused when it nests
 * repetitions. Patterns already stored are matched with compilePattern alone — on RE2 they are harmless.
 */
export function checkNewPattern(source: string, options: { anchored?: boolean } = {}): PatternResult {
  const compiled = compilePattern(source, options);
  if (compiled.ok && !isSafeRegex(source))
    return {
      ok: false,
      error: `"${source}" nests repetitions (like (a+)+), which can take exponential time; write it without`,
    };
  return compiled;
}

function compile(source: string, anchored: boolean): PatternResult {
  if (source.length > MAX_PATTERN_LENGTH)
    return { ok: false, error: `the pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  if (source.includes("\0")) return { ok: false, error: "the pattern contains a NUL character" };
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^error parsing regexp: /, "") : "";
    return { ok: false, error: `"${source}" is not a valid pattern${detail ? ` (${detail})` : ""}` };
  }
  return {
    ok: true,
    pattern: {
      source,
      test: anchored ? (text) => re.matches(text) : (text) => re.matcher(text).find(),
    },
  };
}
