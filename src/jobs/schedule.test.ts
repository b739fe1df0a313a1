import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { didWork, startScheduler } from "./schedule.ts";

it("didWork: a positive count or a true flag anywhere is work; zeros, false and text are not", () => {
  expect(didWork({ claimed: 0, done: 0, retried: 0, dead: 0 })).toBe(false);
  expect(didWork({ validFrom: "2026-01-01T04:00:00.000Z", created: false, fileWritten: false })).toBe(false);
  expect(didWork({ reminded: 2 })).toBe(true);
  expect(didWork({ created: false, fileWritten: true })).toBe(true);
  expect(didWork({ nested: { deleted: 1 } })).toBe(true);
  // A job that returns nothing is never silenced by accident.
  expect(didWork(undefined)).toBe(true);
});

it("an idle run is logged at debug, a run that did something at info", async () => {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n").filter(Boolean))
        lines.push(JSON.parse(line) as { level: number; msg: string });
      callback();
    },
  });
  let pending = 0;
  // A cron that fires once a year (node-cron refuses impossible dates): runNow is the trigger, nothing is waited for.
  const scheduler = startScheduler(
    [{ name: "outbox", cron: "0 0 1 1 *", run: () => Promise.resolve({ done: pending }) }],
    createLogger({ level: "debug", destination }),
  );
  try {
    await scheduler.runNow("outbox");
    pending = 3;
    await scheduler.runNow("outbox");
  } finally {
    await scheduler.stop();
  }
  expect(lines.map((l) => [l.level, l.msg])).toEqual([
    [20, "job outbox done (nothing to do)"],
    [30, "job outbox done"],
  ]);
});
