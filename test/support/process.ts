// `vestibule serve` as a real child process (for kill -9 and multi-instance tests), configured through the
// environment like an operator would.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { freePort } from "./ports.ts";

// The same launcher operators use (bin/vestibule: its Node flags included), with this test run's Node first on the PATH.
const launcher = resolve(import.meta.dirname, "../../bin/vestibule");

export interface ServiceProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no clean shutdown at all. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

export async function spawnService(
  env: Record<string, string>,
  options: {
    roles?: string;
    /** For processes without the web role (no /healthz to poll): ready once the output passes this test. */
    readyWhen?: (output: string) => boolean;
    /** How long start-up may take (default 30 s; a first PGlite start on a busy machine may need more). */
    readyWithinMs?: number;
  } = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "vestibule-proc-"));
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("VESTIBULE_")),
  ) as Record<string, string>;
  const child = spawn("bash", [launcher, "serve", ...(options.roles ? ["--roles", options.roles] : [])], {
    env: {
      ...clean,
      PATH: `${dirname(process.execPath)}:${process.env["PATH"] ?? ""}`,
      VESTIBULE_DATA_DIR: dataDir,
      VESTIBULE_WEB_LISTEN: `127.0.0.1:${port}`,
      VESTIBULE_INTERNAL_LISTEN: `127.0.0.1:${await freePort()}`,
      VESTIBULE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      VESTIBULE_LOG_LEVEL: "info",
      VESTIBULE_JOBS_RETRY_BASE_SECONDS: "0.2",
      VESTIBULE_JOBS_RETRY_MAX_SECONDS: "2",
      VESTIBULE_JOBS_LEASE_SECONDS: "60",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const readyWithin = options.readyWithinMs ?? 30_000;
  const deadline = Date.now() + readyWithin;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vestibule exited with ${child.exitCode}:\n${output}`);
    if (options.readyWhen) {
      if (options.readyWhen(output)) break;
    } else {
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`vestibule was not ready within ${readyWithin / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    child,
    output: () => output,
    exited,
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
