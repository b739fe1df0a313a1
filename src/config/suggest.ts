// "Did you mean …?" for mistyped config keys and VESTIBULE_ variables: the closest known name by edit distance.

/**
 * Optimal string alignment distance (Levenshtein plus swapping two neighbours), ignoring case: "listne" is one edit
 * from "listen", and "accesstoken" none from "accessToken" — both are typical typos of a config key.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // Three rolling rows are enough for the transposition rule, which looks two rows back.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        best = Math.min(best, beforePrevious[j - 2]! + 1);
      current.push(best);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[t.length]!;
}

/**
 * The candidate closest to `typed`, if it is close enough to be a typo rather than a different word: at most a
 * third of the typed length in edits (at least 1, at most 3). Ties go to the earlier candidate, so callers list the
 * likelier names first.
 */
export function closest(typed: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
