// The login guard's rules on a real database (its failure counts live there): decoy delays drawn from real
// verification times, throttling per account and per source, the per-account burst cap and the bounded queue.
// Time is the guard's injected monotonic clock, so nothing here depends on how fast the machine is.
import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import {
  createLoginGuard,
  type LoginAttempt,
  type LoginGuardSettings,
  type LoginVerdict,
} from "../../src/internal/login-guard.ts";
import { describeEachDatabase } from "../support/database.ts";

const settings: LoginGuardSettings = {
  accountFailures: 3,
  sourceFailures: 5,
  windowSeconds: 300,
  concurrency: 1,
  maxQueued: 1,
  perAccountConcurrency: 2,
};

describeEachDatabase("login guard", (getDb) => {
  function guard(overrides: Partial<LoginGuardSettings> = {}) {
    let now = 1_000;
    const slept: number[] = [];
    const verdicts: LoginVerdict[] = [];
    let calibrations = 0;
    const g = createLoginGuard({
      db: getDb().db,
      clock: () => new Date(),
      settings: { ...settings, ...overrides },
      calibrate: () => {
        calibrations++;
        now += 50;
        return Promise.resolve(false);
      },
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
      random: () => 0.999,
      monotonic: () => now,
      onVerdict: (v) => verdicts.push(v),
    });
    /** A verification that takes `ms` on the guard's clock and succeeds when `ok`. */
    const verify = (ms: number, ok: boolean): (() => Promise<LoginAttempt<string>>) => {
      return () =>
        Promise.resolve({
          kind: "verify",
          run: () => {
            now += ms;
            return Promise.resolve(ok ? "account" : null);
          },
        });
    };
    const absent = () => Promise.resolve({ kind: "absent" } as LoginAttempt<string>);
    return { g, slept, verdicts, calibrations: () => calibrations, verify, absent };
  }
  const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

  it("answers an unknown name after a decoy as long as a recent real verification, without hashing", async () => {
    const t = guard();
    const source = unique("10.0.0");
    // Nothing timed yet: the first decoy pays one real dummy verification.
    expect(await t.g.check({ account: unique("ghost"), source }, t.absent)).toEqual({
      verdict: "failure",
      value: null,
    });
    expect(t.calibrations()).toBe(1);
    expect(t.slept).toEqual([]);
    expect((await t.g.check({ account: unique("ada"), source }, t.verify(120, true))).verdict).toBe(
      "success",
    );
    expect((await t.g.check({ account: unique("ghost"), source }, t.absent)).verdict).toBe("failure");
    expect(t.calibrations()).toBe(1);
    // random() = 0.999 picks the newest of the samples [50, 120].
    expect(t.slept).toEqual([120]);
  });

  it("throttles an account after its failures, known or not, without looking it up", async () => {
    const t = guard();
    for (const account of [unique("ada"), unique("ghost")]) {
      const source = unique("10.0.1");
      const find = account.startsWith("ada") ? t.verify(10, false) : t.absent;
      for (let i = 0; i < settings.accountFailures; i++)
        expect((await t.g.check({ account, source }, find)).verdict).toBe("failure");
      let looked = false;
      const result = await t.g.check({ account, source }, () => {
        looked = true;
        return find();
      });
      expect(result.verdict, account).toBe("throttled");
      expect(looked).toBe(false);
    }
  });

  it("lets a source past its budget try only accounts without a recent failure", async () => {
    const t = guard({ accountFailures: 100 });
    const source = unique("10.0.2");
    const failing = unique("bob");
    for (let i = 0; i < settings.sourceFailures; i++)
      expect((await t.g.check({ account: failing, source }, t.verify(5, false))).verdict).toBe("failure");
    expect((await t.g.check({ account: failing, source }, t.verify(5, true))).verdict).toBe("throttled");
    expect((await t.g.check({ account: unique("carol"), source }, t.verify(5, true))).verdict).toBe(
      "success",
    );
    // Another source is not affected.
    expect((await t.g.check({ account: failing, source: unique("10.0.3") }, t.verify(5, true))).verdict).toBe(
      "success",
    );
  });

  it("answers a full queue and a burst for one account as failures at once", async () => {
    const t = guard({ perAccountConcurrency: 1 });
    const source = unique("10.0.4");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const blocked = (): Promise<LoginAttempt<string>> =>
      Promise.resolve({ kind: "verify", run: () => gate.then(() => "account") });
    const sameAccount = unique("c");
    // One slot and one queue place for three verifications: whichever comes last is answered "busy" at once.
    const three = [unique("a"), unique("b"), sameAccount].map((account) =>
      t.g.check({ account, source }, blocked),
    );
    // A second check of an account already being checked is refused before anything else.
    expect((await t.g.check({ account: sameAccount, source }, blocked)).verdict).toBe("throttled");
    const busy = await Promise.race(three);
    expect(busy.verdict).toBe("busy");
    release();
    const verdicts = (await Promise.all(three)).map((r) => r.verdict).sort();
    expect(verdicts).toEqual(["busy", "success", "success"]);
    expect(t.verdicts.sort()).toEqual(["busy", "success", "success", "throttled"]);
  });
});
