// The rotating token with a fixed clock: the file changes at the configured time, the token is the same for every
// instance within a period, and the site is closed in the window before rotation.
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import {
  currentRotatingToken,
  rotateToken,
  type RotatingTokenSettings,
} from "../../src/jobs/rotate-token.ts";
import { describeEachDatabase, type TestDatabase } from "../support/database.ts";

describeEachDatabase("rotating token", (getDb) => {
  let db: TestDatabase;
  let settings: RotatingTokenSettings;
  beforeAll(async () => {
    db = getDb();
    settings = {
      file: join(await mkdtemp(join(tmpdir(), "rotating-")), "conf", "registration_token"),
      time: "04:00",
      closedMinutes: 10,
      length: 24,
    };
  });

  it("writes the period's token, keeps it within the period, and rotates at the configured time", async () => {
    const first = await rotateToken({ db: db.db, settings }, new Date("2026-11-22T12:00:00Z"));
    expect(first).toEqual({ validFrom: "2026-11-22T04:00:00.000Z", created: true, fileWritten: true });
    const token1 = (await readFile(settings.file, "utf8")).trim();
    expect(token1).toMatch(/^[A-Za-z0-9]{24}$/);
    expect((await stat(settings.file)).mode & 0o777).toBe(0o640);

    // Later the same day, and "another instance" running the same job: nothing changes.
    const again = await rotateToken({ db: db.db, settings }, new Date("2026-11-23T03:59:00Z"));
    expect(again).toEqual({ validFrom: "2026-11-22T04:00:00.000Z", created: false, fileWritten: false });
    expect((await readFile(settings.file, "utf8")).trim()).toBe(token1);

    // At the rotation time the file gets a new token.
    const rotated = await rotateToken({ db: db.db, settings }, new Date("2026-11-23T04:00:00Z"));
    expect(rotated).toEqual({ validFrom: "2026-11-23T04:00:00.000Z", created: true, fileWritten: true });
    const token2 = (await readFile(settings.file, "utf8")).trim();
    expect(token2).not.toBe(token1);
    expect(token2).toHaveLength(24);
  });

  it("hands out the current token, and nothing in the closed window before rotation", async () => {
    const open = await currentRotatingToken(db.db, settings, new Date("2026-11-23T12:00:00Z"));
    expect(open).toEqual({
      ok: true,
      token: (await readFile(settings.file, "utf8")).trim(),
      validUntil: new Date("2026-11-24T04:00:00Z"),
    });
    const closed = await currentRotatingToken(db.db, settings, new Date("2026-11-24T03:55:00Z"));
    expect(closed).toEqual({ ok: false, reason: "closed", opensAt: new Date("2026-11-24T04:00:00Z") });
    const notYet = await currentRotatingToken(db.db, settings, new Date("2026-11-24T04:00:30Z"));
    expect(notYet).toMatchObject({ ok: false, reason: "not_ready" });
  });

  it("rewrites a file someone changed", async () => {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(settings.file, "tampered\n");
    const result = await rotateToken({ db: db.db, settings }, new Date("2026-11-23T13:00:00Z"));
    expect(result.fileWritten).toBe(true);
    expect((await readFile(settings.file, "utf8")).trim()).not.toBe("tampered");
  });
});
