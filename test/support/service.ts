// Starts the real service (the same start() as `vestibule serve`) for end-to-end tests: a fresh database of the
// chosen kind, listeners on free ports, logs captured in memory (so tests can check that no secret is logged).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { inject } from "vitest";
import { parseConfig, type Config, type ConfigInput } from "../../src/config/index.ts";
import { deepMerge } from "../../src/config/load.ts";
import { createLogger } from "../../src/logger.ts";
import { start, type Role, type Service, type StartOptions } from "../../src/start.ts";
import { freePort } from "./ports.ts";
import { createScratchDatabase } from "./postgres.ts";
export { freePort };

import type { DatabaseKind } from "./database.ts";

/** Deep partial of the config input, for overrides. */
export type ConfigOverrides = {
  [K in keyof ConfigInput]?: ConfigInput[K] extends object
    ? Partial<ConfigInput[K]> | ConfigInput[K]
    : ConfigInput[K];
};

export interface TestService extends Service {
  config: Config;
  /** Base URL of the public site. */
  url: string;
  /** Base URL of the internal API (when the role runs). */
  internalUrl: string | undefined;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  /** Raw log text, to search for leaked secrets. */
  logText(): string;
  /** The postgres:// URL of this service's database (PostgreSQL only). */
  databaseUrl: string | undefined;
  dataDir: string;
}

export interface TestServiceOptions {
  database?: DatabaseKind;
  config?: Record<string, unknown>;
  roles?: readonly Role[];
  clock?: StartOptions["clock"];
  /** Reuse an existing database (a second instance on the same PostgreSQL). */
  databaseUrl?: string;
  /** Log level for the captured logs (default "debug", so tests see everything the service says). */
  logLevel?: string;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const kind = options.database ?? "pglite";
  const dataDir = await mkdtemp(join(tmpdir(), "vestibule-test-"));
  let scratch: { url: string; drop(): Promise<void> } | undefined;
  let databaseUrl = options.databaseUrl;
  if (kind === "postgres" && !databaseUrl) {
    scratch = await createScratchDatabase(inject("postgresUrl"));
    databaseUrl = scratch.url;
  }
  // The port is chosen before start-up so that publicUrl (in every emailed link) is right from the beginning.
  const port = await freePort();
  const base = {
    publicUrl: `http://127.0.0.1:${port}`,
    dataDir,
    log: { level: "debug" },
    // Tests apply many times from 127.0.0.1; tests of the limits themselves set their own.
    web: {
      listen: `127.0.0.1:${port}`,
      rateLimits: {
        register: { points: 10_000, windowSeconds: 60 },
        usernameCheck: { points: 10_000, windowSeconds: 60 },
        verify: { points: 10_000, windowSeconds: 60 },
        passwordSet: { points: 10_000, windowSeconds: 60 },
      },
    },
    internal: { listen: "127.0.0.1:0" },
    database: databaseUrl ? { url: databaseUrl, poolSize: 5 } : {},
    bot: { enabled: false },
    jobs: { retryBaseSeconds: 0.2, retryMaxSeconds: 2 },
  };
  const config = parseConfig(deepMerge(base, options.config ?? {}));

  const logs: Record<string, unknown>[] = [];
  let raw = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString("utf8");
      raw += text;
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ msg: line });
        }
      }
      callback();
    },
  });
  const logger = createLogger({ level: options.logLevel ?? "debug", destination });

  const startOptions: StartOptions = { logger };
  if (options.roles) startOptions.roles = options.roles;
  if (options.clock) startOptions.clock = options.clock;
  let service: Service;
  try {
    service = await start(config, startOptions);
  } catch (error) {
    await scratch?.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = service.web?.url ?? config.publicUrl;

  return {
    ...service,
    config,
    url,
    internalUrl: service.internal?.url,
    logs,
    logText: () => raw,
    databaseUrl,
    dataDir,
    async stop() {
      await service.stop();
      await scratch?.drop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type { ConfigInput };
