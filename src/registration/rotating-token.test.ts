import { expect, it } from "vitest";
import { rotationWindow } from "./rotating-token.ts";

const settings = { time: "04:00", closedMinutes: 10 };

it("the period starts at the last rotation and sign-ups close before the next", () => {
  const at = (iso: string) => rotationWindow(new Date(iso), settings);
  expect(at("2026-11-22T12:00:00Z")).toEqual({
    validFrom: new Date("2026-11-22T04:00:00Z"),
    nextRotation: new Date("2026-11-23T04:00:00Z"),
    closesAt: new Date("2026-11-23T03:50:00Z"),
    closed: false,
  });
  expect(at("2026-11-22T03:59:59Z").validFrom).toEqual(new Date("2026-11-21T04:00:00Z"));
  expect(at("2026-11-22T03:49:59Z").closed).toBe(false);
  expect(at("2026-11-22T03:50:00Z").closed).toBe(true);
  expect(at("2026-11-22T04:00:00Z")).toMatchObject({
    validFrom: new Date("2026-11-22T04:00:00Z"),
    closed: false,
  });
  expect(rotationWindow(new Date("2026-11-22T00:05:00Z"), { time: "00:00", closedMinutes: 0 }).closed).toBe(
    false,
  );
});
