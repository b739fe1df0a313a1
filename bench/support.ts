// What the benchmarks share: a PostgreSQL database, the service as a separate process (so the load generator and
// the service each get a core), latency percentiles.
import { ensurePostgres, createScratchDatabase } from "../test/support/postgres.ts";
import { spawnService, type ServiceProcess } from "../test/support/process.ts";

export async function scratchPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  return createScratchDatabase(await ensurePostgres(), "vestibule_bench");
}

export async function benchService(env: Record<string, string>, roles?: string): Promise<ServiceProcess> {
  return spawnService({ VESTIBULE_LOG_LEVEL: "warn", ...env }, roles ? { roles } : {});
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Reads the anti-forgery cookie and form value once; both are reusable for a whole run. */
export async function csrfPair(base: string): Promise<{ cookie: string; token: string }> {
  const response = await fetch(`${base}/`);
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .join("; ");
  const token = /name="_csrf" value="([^"]+)"/.exec(await response.text())![1]!;
  return { cookie, token };
}
