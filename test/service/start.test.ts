// The composition root starts the real service on each database, answers /healthz, and stops cleanly.
import { afterAll, beforeAll, expect, it } from "vitest";
import { describe } from "vitest";
import { databaseKinds } from "../support/database.ts";
import { spawnService } from "../support/process.ts";
import { startTestService, type TestService } from "../support/service.ts";

for (const kind of databaseKinds) {
  describe(`service start [${kind}]`, () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService({
        database: kind,
        config: { homeserver: { url: "http://127.0.0.1:9" } },
      });
    });
    afterAll(async () => {
      await service?.stop();
    });

    it("answers /healthz with each dependency's state", async () => {
      const response = await fetch(`${service.url}/healthz`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        status: string;
        components: Record<string, { status: string; detail?: string }>;
      };
      expect(body.components["database"]).toMatchObject({
        status: "ok",
        detail: kind === "pglite" ? "embedded PGlite" : "PostgreSQL",
      });
      expect(body.components["jobs"]?.status).toBe("ok");
    });

    it("reports an unreachable homeserver as down without failing", async () => {
      const deadline = Date.now() + 10_000;
      let homeserver: { status: string; detail?: string } | undefined;
      while (Date.now() < deadline) {
        const body = (await (await fetch(`${service.url}/healthz`)).json()) as {
          status: string;
          components: Record<string, { status: string; detail?: string }>;
        };
        homeserver = body.components["homeserver"];
        if (homeserver?.status === "down") {
          expect(body.status).toBe("degraded");
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(homeserver).toMatchObject({
        status: "down",
        detail: expect.stringContaining("http://127.0.0.1:9"),
      });
    });

    it("serves Prometheus metrics to loopback", async () => {
      await fetch(`${service.url}/healthz`);
      const response = await fetch(`${service.url}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toMatch(/^vestibule_requests\{state="pending"\} 0$/m);
      expect(text).toMatch(
        /vestibule_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/,
      );
      expect(text).toMatch(/^vestibule_component_status\{component="database"\} 1$/m);
    });

    it("migrated the schema with the production migrator", async () => {
      const tables = await service.deps.database.db.introspection.getTables();
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(["registration_request", "outbox", "audit_log", "local_account", "ban"]),
      );
    });
  });
}

describe("metrics allow-list", () => {
  it("refuses /metrics to peers outside web.metricsAllowFrom", async () => {
    const service = await startTestService({ config: { web: { metricsAllowFrom: ["10.0.0.0/8"] } } });
    try {
      const response = await fetch(`${service.url}/metrics`, { headers: { "x-forwarded-for": "10.1.2.3" } });
      expect(response.status).toBe(403);
    } finally {
      await service.stop();
    }
  });
});

describe("first start of the embedded database", () => {
  it("answers on the web port while the database is created: /healthz says starting (503), then ready", async () => {
    // A fresh data directory: PGlite creates its cluster first, which takes a moment.
    const service = await spawnService(
      { VESTIBULE_HOMESERVER_URL: "http://127.0.0.1:9" },
      { readyWhen: (output) => output.includes("starting vestibule") },
    );
    try {
      const seen: {
        status: number;
        body: { status: string; components: Record<string, { detail?: string }> };
      }[] = [];
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        try {
          const response = await fetch(`${service.url}/healthz`);
          seen.push({
            status: response.status,
            body: (await response.json()) as (typeof seen)[number]["body"],
          });
          if (response.status === 200) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const starting = seen.find((s) => s.body.status === "starting");
      expect(starting, "an answer while starting").toBeDefined();
      expect(starting!.status).toBe(503);
      expect(starting!.body.components["database"]?.detail).toBe("opening");
      expect(seen.at(-1)?.status).toBe(200);
      const page = await fetch(`${service.url}/`);
      expect(page.status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});
