// Prometheus metrics (prom-client). One registry per service instance, so tests can run several in one process.
// Counts that live in the database (requests by state, outbox depth and age) are read when scraped, so every
// instance reports the shared truth; counters of what this process did are kept in memory.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { sql } from "kysely";
import type { Db } from "./db/database.ts";
import { outboxStats } from "./db/outbox.repository.ts";
import type { ComponentName, Health } from "./health.ts";
import { requestStates } from "./registration/types.ts";

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<"method" | "route" | "status">;
  outboxProcessed: Counter<"kind" | "outcome">;
  outboxInvalid: Counter<"kind" | "reason">;
  emails: Counter<"result">;
  provisioningFailures: Counter<"reason">;
  loginChecks: Counter<"verdict">;
  render(): Promise<string>;
  contentType: string;
}

const components: ComponentName[] = ["database", "homeserver", "mail", "bot", "jobs"];
const healthValue = { ok: 1, degraded: 0.5, down: 0, disabled: -1 } as const;

export function createMetrics(deps: { db: Db; health: Health }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "vestibule_process_" });

  const httpDuration = new Histogram({
    name: "vestibule_http_request_duration_seconds",
    help: "HTTP request latency by route pattern (never the raw path: it may hold a token).",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const outboxProcessed = new Counter({
    name: "vestibule_outbox_processed_total",
    help: "Outbox rows handled by this process, by kind and outcome (done, retry, dead).",
    labelNames: ["kind", "outcome"] as const,
    registers: [registry],
  });
  const outboxInvalid = new Counter({
    name: "vestibule_outbox_invalid_total",
    help: 'Outbox rows buried unhandled by this process because their kind is unknown or their payload malformed, by kind ("unknown" for unknown kinds) and reason.',
    labelNames: ["kind", "reason"] as const,
    registers: [registry],
  });
  const emails = new Counter({
    name: "vestibule_emails_total",
    help: "Emails this process handed to the mail transport, by result (sent, failed).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const provisioningFailures = new Counter({
    name: "vestibule_provisioning_failures_total",
    help: "Provisioning attempts that failed in this process, by reason (transient, permanent).",
    labelNames: ["reason"] as const,
    registers: [registry],
  });

  const loginChecks = new Counter({
    name: "vestibule_login_checks_total",
    help: "Password checks of the internal API by verdict (success, failure, throttled, busy — the last two are answered as failures).",
    labelNames: ["verdict"] as const,
    registers: [registry],
  });

  new Gauge({
    name: "vestibule_requests",
    help: "Registration requests by state (whole database).",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const rows = await sql<{
        state: string;
        n: number;
      }>`select state, count(*)::int as n from registration_request group by state`
        .execute(deps.db)
        .catch(() => ({ rows: [] as { state: string; n: number }[] }));
      const counts = new Map(rows.rows.map((r) => [r.state, r.n]));
      for (const state of requestStates) this.set({ state }, counts.get(state) ?? 0);
    },
  });

  // The three outbox gauges share one query per scrape (prom-client collects them one after another).
  let statsQuery: { at: number; result: Promise<Awaited<ReturnType<typeof outboxStats>>> } | undefined;
  const stats = () => {
    const now = Date.now();
    if (!statsQuery || now - statsQuery.at > 1_000)
      statsQuery = { at: now, result: outboxStats(deps.db).catch(() => []) };
    return statsQuery.result;
  };
  new Gauge({
    name: "vestibule_outbox_open",
    help: "Outbox rows not yet done, by kind (whole database).",
    labelNames: ["kind"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await stats()) this.set({ kind: s.kind }, s.open);
    },
  });
  new Gauge({
    name: "vestibule_outbox_dead",
    help: "Outbox rows given up for good, by kind (whole database).",
    labelNames: ["kind"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await stats()) this.set({ kind: s.kind }, s.dead);
    },
  });
  new Gauge({
    name: "vestibule_outbox_oldest_age_seconds",
    help: "Age of the oldest outbox row not yet done, by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const now = Date.now();
      for (const s of await stats())
        this.set({ kind: s.kind }, s.oldestOpenAt ? (now - s.oldestOpenAt.getTime()) / 1000 : 0);
    },
  });

  new Gauge({
    name: "vestibule_component_status",
    help: "Health of each dependency as this process sees it: 1 ok, 0.5 degraded, 0 down, -1 disabled.",
    labelNames: ["component"] as const,
    registers: [registry],
    collect() {
      for (const component of components) {
        const status = deps.health.get(component)?.status;
        if (status) this.set({ component }, healthValue[status]);
      }
    },
  });

  return {
    registry,
    httpDuration,
    outboxProcessed,
    outboxInvalid,
    emails,
    provisioningFailures,
    loginChecks,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
