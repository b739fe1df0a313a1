// What stands between a flood of password checks and the argon2id workers. Three rules:
// 1. Real verifications (an account with a password exists) share a bounded number of hashing slots and a bounded
//    queue; a check that finds the queue full is answered as a failure at once (never a 5xx).
// 2. Failed attempts are counted per account and per source (the calling server's address) in the database, so the
//    limits hold across instances; past a limit the attempt is answered as a failure without hashing (a source past
//    its budget only for accounts that failed recently). Names that do not exist are counted and throttled exactly
//    like names that do, so a throttled answer reveals nothing.
// 3. A check that has no account to verify against (unknown or disabled user, no password, a foreign server) does
//    not hash at all: it waits as long as a real verification took recently (a decoy delay drawn from the last
//    real durations, queue time included). So unknown names answer in the same time as wrong passwords, also
//    while the workers are busy, and a flood of made-up names costs no CPU — the real login behind it is answered
//    after one hash, not after the whole flood.
import type { Kysely } from "kysely";
import { hitRateLimit, readRateLimits } from "../db/rate-limit.repository.ts";
import type { Database } from "../db/schema.ts";

export interface LoginGuardSettings {
  /** Failed attempts per account within the window before further attempts are refused without hashing. */
  accountFailures: number;
  /** Failed attempts per source address within the window (the calling server: Synapse, ma1sd, the proxy). */
  sourceFailures: number;
  windowSeconds: number;
  /** Verifications running at once (the hashing workers). */
  concurrency: number;
  /** Verifications waiting for a slot; beyond this a check is answered as a failure at once. */
  maxQueued: number;
  /** Checks of one account running at once; more are answered as failures (a burst for one name). */
  perAccountConcurrency: number;
}

/** How a guarded check ended. `throttled` and `busy` are answered to the caller exactly like `failure`. */
export type LoginVerdict = "success" | "failure" | "throttled" | "busy";

/** What the check found: an account to verify against (with the verification), or none. */
export type LoginAttempt<T> = { kind: "verify"; run: () => Promise<T | null> } | { kind: "absent" };

export interface LoginGuard {
  /**
   * Runs one password check for `account` (the normalised localpart, or the raw id when it has none) coming from
   * `source`. `find` looks the account up and says what to verify; it is only called when the attempt is allowed.
   */
  check<T>(
    key: { account: string; source: string },
    find: () => Promise<LoginAttempt<T>>,
  ): Promise<{ verdict: LoginVerdict; value: T | null }>;
}

export interface LoginGuardDeps {
  db: Kysely<Database>;
  clock: () => Date;
  settings: LoginGuardSettings;
  /** A verification against a dummy hash: the decoy delay before any real verification has been timed. */
  calibrate: () => Promise<unknown>;
  /** Waits (tests pass one that records instead). */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** A monotonic clock in milliseconds (default performance.now). */
  monotonic?: () => number;
  onVerdict?: (verdict: LoginVerdict) => void;
}

/** Real verification durations kept for decoy delays. */
const SAMPLES = 64;

export function createLoginGuard(deps: LoginGuardDeps): LoginGuard {
  const s = deps.settings;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const limit = { points: Number.MAX_SAFE_INTEGER, windowSeconds: s.windowSeconds };
  const accountKey = (account: string) => `login-failed:account:${account}`;
  const sourceKey = (source: string) => `login-failed:source:${source}`;

  // Hashing slots: a counter and a FIFO of waiters.
  let running = 0;
  const waiting: (() => void)[] = [];
  const acquire = (): Promise<boolean> => {
    if (running < s.concurrency) {
      running++;
      return Promise.resolve(true);
    }
    if (waiting.length >= s.maxQueued) return Promise.resolve(false);
    return new Promise((resolve) => waiting.push(() => resolve(true)));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };

  const inFlight = new Map<string, number>();
  const samples: number[] = [];
  let nextSample = 0;
  const record = (ms: number) => {
    if (samples.length < SAMPLES) samples.push(ms);
    else samples[nextSample] = ms;
    nextSample = (nextSample + 1) % SAMPLES;
  };

  /** Runs `work` in a hashing slot and times it (queue included); null when the queue is full. */
  async function hashed<T>(work: () => Promise<T>): Promise<{ value: T } | null> {
    const started = monotonic();
    if (!(await acquire())) return null;
    try {
      const value = await work();
      record(monotonic() - started);
      return { value };
    } finally {
      release();
    }
  }

  async function decoy(): Promise<void> {
    if (samples.length === 0) {
      // Nothing timed yet: pay one real dummy verification, which also gives the first sample.
      await hashed(deps.calibrate);
      return;
    }
    await sleep(samples[Math.floor(random() * samples.length)]!);
  }

  async function failed(key: { account: string; source: string }) {
    const now = deps.clock();
    await Promise.all([
      hitRateLimit(deps.db, accountKey(key.account), limit, now),
      hitRateLimit(deps.db, sourceKey(key.source), limit, now),
    ]);
  }

  return {
    async check(key, find) {
      const done = <T>(verdict: LoginVerdict, value: T | null = null) => {
        deps.onVerdict?.(verdict);
        return { verdict, value };
      };
      const busyForAccount = inFlight.get(key.account) ?? 0;
      if (busyForAccount >= s.perAccountConcurrency) return done("throttled");
      inFlight.set(key.account, busyForAccount + 1);
      try {
        const counts = await readRateLimits(
          deps.db,
          [accountKey(key.account), sourceKey(key.source)],
          s.windowSeconds,
          deps.clock(),
        );
        const accountFailed = counts.get(accountKey(key.account)) ?? 0;
        const sourceFailed = counts.get(sourceKey(key.source)) ?? 0;
        // A source past its budget may still try accounts without a recent failure: behind Synapse every login
        // shares one source, and a flood must not lock out the people who type their password right.
        if (accountFailed >= s.accountFailures || (sourceFailed >= s.sourceFailures && accountFailed > 0))
          return done("throttled");
        const attempt = await find();
        if (attempt.kind === "absent") {
          await decoy();
          await failed(key);
          return done("failure");
        }
        const result = await hashed(attempt.run);
        if (!result) return done("busy");
        if (result.value === null) {
          await failed(key);
          return done("failure");
        }
        return done("success", result.value);
      } finally {
        const left = (inFlight.get(key.account) ?? 1) - 1;
        if (left === 0) inFlight.delete(key.account);
        else inFlight.set(key.account, left);
      }
    },
  };
}
