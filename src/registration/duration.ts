// Durations as operators and moderators type them: "30m", "12h", "7d", "2w" (also combined: "1d12h").

const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+[smhdw])+$/.test(trimmed)) return null;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+)([smhdw])/g)) total += Number(match[1]) * units[match[2]!]!;
  return total > 0 && Number.isSafeInteger(total) ? total : null;
}

/** "3d 4h" style, for messages. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0m";
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ["d", units["d"]!],
    ["h", units["h"]!],
    ["m", units["m"]!],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.length > 0 ? parts.slice(0, 2).join(" ") : "<1m";
}
