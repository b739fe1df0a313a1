// PostgreSQL restarted under load: the service reconnects and answers again without a manual restart.
// Uses a cluster of its own (port 55433) so that restarting it disturbs no other test.
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startCluster, createScratchDatabase, type Cluster } from "../support/postgres.ts";
import { startTestService, type TestService } from "../support/service.ts";

let cluster: Cluster;
let scratch: { url: string; drop(): Promise<void> };
let service: TestService;

beforeAll(async () => {
  cluster = await startCluster("pg-fault", 55433);
  scratch = await createScratchDatabase(cluster.url, "vestibule_fault");
  service = await startTestService({ database: "postgres", databaseUrl: scratch.url });
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await scratch?.drop().catch(() => undefined);
  // Nothing of this test keeps running after it (a later run, or another checkout, may want the port).
  await cluster?.stop();
});

async function databaseAnswers(): Promise<boolean> {
  try {
    await sql`select count(*) from registration_request`.execute(service.deps.database.db);
    return true;
  } catch {
    return false;
  }
}

it("keeps answering and recovers by itself after PostgreSQL restarts under load", async () => {
  let stop = false;
  let ok = 0;
  // Load: concurrent database-backed work (metrics scrapes query every table) for the whole test.
  const load = Promise.all(
    Array.from({ length: 8 }, async () => {
      while (!stop) {
        const response = await fetch(`${service.url}/metrics`).catch(() => undefined);
        if (response?.status === 200 && (await databaseAnswers())) ok++;
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 500));
  const before = ok;
  expect(before).toBeGreaterThan(0);

  await cluster.restart();

  // Every wait has a deadline: the pool must hand out fresh connections within seconds.
  const deadline = Date.now() + 30_000;
  let recoveredAt: number | undefined;
  while (Date.now() < deadline) {
    if (await databaseAnswers()) {
      recoveredAt = Date.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(recoveredAt).toBeDefined();
  const afterRestart = ok;
  await new Promise((r) => setTimeout(r, 1000));
  stop = true;
  await load;
  // Work kept succeeding after the restart, through the same service instance.
  expect(ok).toBeGreaterThan(afterRestart);

  // The health probe sees the database again.
  const healthDeadline = Date.now() + 15_000;
  let status = "";
  while (Date.now() < healthDeadline) {
    const body = (await (await fetch(`${service.url}/healthz`)).json()) as {
      components: Record<string, { status: string }>;
    };
    status = body.components["database"]?.status ?? "";
    if (status === "ok") break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(status).toBe("ok");
}, 90_000);
