// The retention job: deletes what registration.retention says is old. `vestibule cleanup` runs it once.
import { runRetention, type RetentionPolicy, type RetentionSummary } from "../db/retention.repository.ts";
import type { Db } from "../db/database.ts";

export interface CleanupDeps {
  db: Db;
  retention: RetentionPolicy;
}

export async function cleanup(
  deps: CleanupDeps,
  now: Date,
  options: { dryRun?: boolean } = {},
): Promise<RetentionSummary> {
  return runRetention(deps.db, deps.retention, now, options);
}
