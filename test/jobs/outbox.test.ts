// The outbox worker on a real database: retries wake it by themselves, rows not due yet are picked up when they
// become due, two workers sharing one database never handle a row twice, and rows that do not decode (an unknown
// kind, a malformed payload) are reported and buried instead of lying unclaimed or being retried forever.
import { Writable } from "node:stream";
import { afterEach, expect, it } from "vitest";
import { createHealth } from "../../src/health.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics } from "../../src/metrics.ts";
import {
  createOutboxWorker,
  type OutboxJob,
  type OutboxOutcome,
  type OutboxWorker,
} from "../../src/outbox/worker.ts";
import { describeEachDatabase } from "../support/database.ts";

const logger = createLogger({ level: "silent" });
const backoff = { baseMs: 200, maxMs: 400 };
let workers: OutboxWorker[] = [];
afterEach(async () => {
  for (const worker of workers) await worker.stop();
  workers = [];
});

describeEachDatabase("outbox worker", (get) => {
  // Every test uses bot.notice rows (any real kind would do) and leaves none of them open for the next test.
  async function queue(
    count: number,
    nextAttemptAt = new Date(),
    row: (i: number) => { kind: string; payload: unknown } = (i) => ({
      kind: "bot.notice",
      payload: {
        notice: { type: "provisioning_failed", requestId: i + 1, localpart: `n${i}`, reason: "test" },
      },
    }),
  ): Promise<number[]> {
    const rows = await get()
      .db.insertInto("outbox")
      .values(
        Array.from({ length: count }, (_, i) => ({
          kind: row(i).kind,
          payload: JSON.stringify(row(i).payload),
          next_attempt_at: nextAttemptAt,
        })),
      )
      .returning("id")
      .execute();
    return rows.map((r) => r.id);
  }
  function worker(
    handler: (row: OutboxJob<"bot.notice">) => Promise<OutboxOutcome>,
    owner = "w1",
    extra: Partial<Parameters<typeof createOutboxWorker>[0]> = {},
  ) {
    const created = createOutboxWorker({
      db: get().db,
      handlers: { "bot.notice": handler },
      logger,
      owner,
      backoff,
      ...extra,
    });
    workers.push(created);
    return created;
  }
  async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
    const started = Date.now();
    while (!(await condition())) {
      if (Date.now() - started > timeoutMs) throw new Error(`not reached within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now() - started;
  }

  it("retries a failing row after its backoff without being woken, and completes it once", async () => {
    const [id] = await queue(1);
    const calls: number[] = [];
    const w = worker((row) => {
      calls.push(row.id);
      return Promise.resolve(calls.length < 3 ? { status: "retry", error: "not yet" } : { status: "done" });
    });
    w.wake();
    await until(() => calls.length === 3, 5_000);
    await w.idle();
    // Done means done: nothing is left for a later drain to claim again.
    expect((await w.drain()).claimed).toBe(0);
    expect(calls).toEqual([id, id, id]);
    const row = await get()
      .db.selectFrom("outbox")
      .select(["attempts", "completed_at", "last_error"])
      .where("id", "=", id!)
      .executeTakeFirstOrThrow();
    expect(row.completed_at).not.toBeNull();
    expect(row.attempts).toBe(3);
  });

  it("handles a row queued for later when it becomes due, with no wake-up in between", async () => {
    const handled: number[] = [];
    const w = worker((row) => {
      handled.push(row.id);
      return Promise.resolve({ status: "done" });
    });
    const queuedAt = Date.now();
    const [id] = await queue(1, new Date(queuedAt + 700));
    w.wake();
    await until(() => handled.length === 1, 5_000);
    expect(handled).toEqual([id]);
    expect(Date.now() - queuedAt).toBeGreaterThanOrEqual(650);
  });

  it("gives a row up for good when its handler says so, keeping the error", async () => {
    const [id] = await queue(1);
    const w = worker(() => Promise.resolve({ status: "dead", error: "no such address" }));
    await w.drain();
    const row = await get()
      .db.selectFrom("outbox")
      .select(["dead_at", "completed_at", "last_error"])
      .where("id", "=", id!)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ completed_at: null, last_error: "no such address" });
    expect(row.dead_at).not.toBeNull();
  });

  it("two workers on one database handle each of 60 rows exactly once", async () => {
    const ids = await queue(60);
    const seen = new Map<number, string[]>();
    const handler = (owner: string) => async (row: OutboxJob<"bot.notice">) => {
      seen.set(row.id, [...(seen.get(row.id) ?? []), owner]);
      await new Promise((r) => setTimeout(r, 5));
      return { status: "done" } as const;
    };
    const a = worker(handler("a"), "a");
    const b = worker(handler("b"), "b");
    await Promise.all([a.drain(), b.drain()]);
    expect([...seen.keys()].sort((x, y) => x - y)).toEqual(ids);
    expect([...seen.values()].every((owners) => owners.length === 1)).toBe(true);
  });

  it("hands the handler the payload decoded for its kind", async () => {
    const [id] = await queue(1, new Date(), () => ({
      kind: "bot.notice",
      payload: {
        notice: { type: "provisioning_failed", requestId: 7, localpart: "ada", reason: "name taken" },
      },
    }));
    const seen: OutboxJob<"bot.notice">[] = [];
    const w = worker((job) => {
      seen.push(job);
      return Promise.resolve({ status: "done" });
    });
    await w.drain();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      id,
      kind: "bot.notice",
      requestId: null,
      effect: {
        kind: "bot.notice",
        notice: { type: "provisioning_failed", requestId: 7, localpart: "ada", reason: "name taken" },
      },
    });
  });

  it("reports and buries a malformed row and a row of an unknown kind, without running a handler", async () => {
    const metrics = createMetrics({ db: get().db, health: createHealth() });
    let logText = "";
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logText += chunk.toString("utf8");
        done();
      },
    });
    const [misspelt] = await queue(1, new Date(), () => ({ kind: "bot.notcie", payload: { text: "hi" } }));
    const handled: number[] = [];
    const handler = (job: OutboxJob<"bot.notice">) => {
      handled.push(job.id);
      return Promise.resolve({ status: "done" } as const);
    };
    // A worker that does not bury unknown kinds leaves the misspelt row alone (another worker's job) ...
    const bystander = worker(handler, "bystander");
    await bystander.drain();
    const open = await get()
      .db.selectFrom("outbox")
      .select(["id", "dead_at", "claimed_by"])
      .where("id", "=", misspelt!)
      .executeTakeFirstOrThrow();
    expect(open).toMatchObject({ dead_at: null, claimed_by: null });
    // ... and the one that does buries it, and a malformed row of its own kind; both are counted and logged with
    // their row ids.
    const [malformed] = await queue(1, new Date(), () => ({ kind: "bot.notice", payload: { text: 42 } }));
    const buryer = worker(handler, "buryer", {
      buryUnknownKinds: true,
      logger: createLogger({ level: "info", destination: capture }),
      onInvalid: (kind, reason) => metrics.outboxInvalid.inc({ kind, reason }),
    });
    await buryer.drain();
    expect(handled).toEqual([]);
    const row = (id: number) =>
      get()
        .db.selectFrom("outbox")
        .select(["dead_at", "completed_at", "last_error"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
    const buriedMalformed = await row(malformed!);
    const buriedMisspelt = await row(misspelt!);
    expect([buriedMalformed.dead_at, buriedMisspelt.dead_at]).not.toContain(null);
    expect([buriedMalformed.completed_at, buriedMisspelt.completed_at]).toEqual([null, null]);
    expect(buriedMalformed.last_error).toMatch(/^malformed: bot\.notice payload: .*text/);
    expect(buriedMisspelt.last_error).toBe("unknown_kind: unknown kind bot.notcie");
    const counted = (await metrics.outboxInvalid.get()).values.map((v) => [v.labels, v.value]);
    expect(counted).toEqual(
      expect.arrayContaining([
        [{ kind: "bot.notice", reason: "malformed" }, 1],
        [{ kind: "unknown", reason: "unknown_kind" }, 1],
      ]),
    );
    expect(counted).toHaveLength(2);
    const lines = logText
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const errors = lines.filter((l) => l["level"] === 50).map((l) => [l["outboxId"], l["reason"]]);
    // Rows of different requests are handled side by side: compare in row order.
    expect(errors.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [misspelt, "unknown_kind"],
      [malformed, "malformed"],
    ]);
    // Buried for good: a later drain does not see them again.
    expect((await buryer.drain()).claimed).toBe(0);
  });
});
