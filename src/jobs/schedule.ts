// The only node-cron import. Each scheduled job is a plain `(now) => summary` function; this file runs it on its
// cron expression (in UTC), never overlapping itself, and logs the summary it returns.
import { schedule, validate, type ScheduledTask } from "node-cron";
import type { Logger } from "../logger.ts";

/** Whether node-cron accepts the expression (5 fields, or 6 with seconds first). */
export function isValidCron(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && validate(expression);
}

/**
 * Whether a job's summary reports work done: any positive count or true flag, at any depth (`{ done: 0, retried: 0 }`
 * is idle, `{ reminded: 2 }` or `{ fileWritten: true }` is not). Strings and dates describe, they do not count. A
 * summary that is not an object (a job returning nothing) counts as work, so no job is silenced by accident.
 */
export function didWork(summary: unknown): boolean {
  if (typeof summary !== "object" || summary === null) return true;
  const counts = (value: unknown): boolean => {
    if (typeof value === "number") return value > 0;
    if (typeof value === "boolean") return value;
    if (Array.isArray(value)) return value.length > 0;
    if (typeof value === "object" && value !== null && !(value instanceof Date))
      return Object.values(value).some(counts);
    return false;
  };
  return counts(summary);
}

export interface ScheduledJob {
  name: string;
  /** Five fields, or six with seconds first. */
  cron: string;
  run(now: Date): Promise<unknown>;
}

export interface Scheduler {
  /** Runs a job now, outside its schedule (e.g. at start-up); resolves with its summary. */
  runNow(name: string): Promise<unknown>;
  stop(): Promise<void>;
}

export function startScheduler(
  jobs: readonly ScheduledJob[],
  logger: Logger,
  clock: () => Date = () => new Date(),
): Scheduler {
  const log = logger.child({ component: "scheduler" });
  const running = new Map<string, Promise<unknown>>();

  const runJob = (job: ScheduledJob): Promise<unknown> => {
    const current = running.get(job.name);
    if (current) return current;
    const started = Date.now();
    const execution = job
      .run(clock())
      .then(
        (summary) => {
          // An idle service runs the outbox drain every 30 s: only runs that did something are worth a line.
          const line = { job: job.name, ms: Date.now() - started, summary };
          if (didWork(summary)) log.info(line, `job ${job.name} done`);
          else log.debug(line, `job ${job.name} done (nothing to do)`);
          return summary;
        },
        (error: unknown) => {
          log.warn({ job: job.name, err: error }, `job ${job.name} failed; it runs again on schedule`);
          return undefined;
        },
      )
      .finally(() => running.delete(job.name));
    running.set(job.name, execution);
    return execution;
  };

  const tasks: ScheduledTask[] = jobs.map((job) =>
    schedule(job.cron, () => runJob(job), {
      name: job.name,
      timezone: "Etc/UTC",
      noOverlap: true,
      suppressMissedWarning: true,
    }),
  );

  return {
    runNow(name) {
      const job = jobs.find((j) => j.name === name);
      if (!job) return Promise.reject(new Error(`no job named ${name}`));
      return runJob(job);
    },
    async stop() {
      for (const task of tasks) await task.destroy();
      await Promise.all(running.values());
    },
  };
}
