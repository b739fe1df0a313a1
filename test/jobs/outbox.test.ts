// The outbox worker on a real database: retries wake it by themselves, rows not due yet are picked up when they
// become due, and two workers sharing one database never handle a row twice.
import { afterEach, expect, it } from "vitest";
import type { ClaimedOutboxRow } from "../../src/db/outbox.repository.ts";
import { createOutboxWorker, type OutboxOutcome, type OutboxWorker } from "../../src/jobs/outbox.ts";
import { createLogger } from "../../src/logger.ts";
import { describeEachDatabase } from "../support/database.ts";

const logger = createLogger({ level: "silent" });
const backoff = { baseMs: 200, maxMs: 400 };
let workers: OutboxWorker[] = [];
afterEach(async () => {
  for (const worker of workers) await worker.stop();
  workers = [];
});

describeEachDatabase("outbox worker", (get) => {
  async function queue(kind: string, count: number, nextAttemptAt = new Date()): Promise<number[]> {
    const rows = await get()
      .db.insertInto("outbox")
      .values(
        Array.from({ length: count }, (_, i) => ({
          kind,
          payload: JSON.stringify({ n: i }),
          next_attempt_at: nextAttemptAt,
        })),
      )
      .returning("id")
      .execute();
    return rows.map((r) => r.id);
  }
  function worker(kind: string, handler: (row: ClaimedOutboxRow) => Promise<OutboxOutcome>, owner = "w1") {
    const created = createOutboxWorker({
      db: get().db,
      handlers: { [kind]: handler },
      logger,
      owner,
      backoff,
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
    const [id] = await queue("flaky", 1);
    const calls: number[] = [];
    const w = worker("flaky", (row) => {
      calls.push(row.id);
      return Promise.resolve(calls.length < 3 ? { status: "retry", error: "not yet" } : { status: "done" });
    });
    w.wake();
    await until(() => calls.length === 3, 5_000);
    await w.idle();
    await new Promise((r) => setTimeout(r, 600));
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
    const w = worker("later", (row) => {
      handled.push(row.id);
      return Promise.resolve({ status: "done" });
    });
    const queuedAt = Date.now();
    const [id] = await queue("later", 1, new Date(queuedAt + 700));
    w.wake();
    await until(() => handled.length === 1, 5_000);
    expect(handled).toEqual([id]);
    expect(Date.now() - queuedAt).toBeGreaterThanOrEqual(650);
  });

  it("gives a row up for good when its handler says so, keeping the error", async () => {
    const [id] = await queue("doomed", 1);
    const w = worker("doomed", () => Promise.resolve({ status: "dead", error: "no such address" }));
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
    const ids = await queue("shared", 60);
    const seen = new Map<number, string[]>();
    const handler = (owner: string) => async (row: ClaimedOutboxRow) => {
      seen.set(row.id, [...(seen.get(row.id) ?? []), owner]);
      await new Promise((r) => setTimeout(r, 5));
      return { status: "done" } as const;
    };
    const a = worker("shared", handler("a"), "a");
    const b = worker("shared", handler("b"), "b");
    await Promise.all([a.drain(), b.drain()]);
    expect([...seen.keys()].sort((x, y) => x - y)).toEqual(ids);
    expect([...seen.values()].every((owners) => owners.length === 1)).toBe(true);
  });
});
