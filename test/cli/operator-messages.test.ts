// What an operator reads when something is off: the real CLI, spawned the way an operator runs it.
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnService } from "../support/process.ts";

const run = promisify(execFile);
const main = resolve(import.meta.dirname, "../../src/main.ts");
const launcher = resolve(import.meta.dirname, "../../bin/vestibule");
let dir: string;

/** The environment without the test run's own VESTIBULE_ variables (the CLI would read them as settings). */
function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => !k.startsWith("VESTIBULE_") && v !== undefined),
  ) as Record<string, string>;
}

async function vestibule(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args], {
      cwd: dir,
      env: { ...cleanEnv(), VESTIBULE_DATA_DIR: join(dir, "data"), ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vestibule-ops-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("unknown keys get a suggestion", () => {
  it("a misspelt key in the file names the key it resembles at that level", async () => {
    await writeFile(join(dir, "typo.ts"), `export default { web: { listne: "0.0.0.0:1" } };\n`);
    const result = await vestibule(["--config", "typo.ts", "check-config"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('config: unknown key "web.listne"; did you mean "web.listen"?');
  });

  it("a key at the wrong level names where it belongs, and a misspelt key is reported before what it hides", async () => {
    await writeFile(join(dir, "level.ts"), `export default { listen: "0.0.0.0:1" };\n`);
    const level = await vestibule(["--config", "level.ts", "check-config"]);
    expect(level.stderr.trim()).toBe('config: unknown key "listen"; did you mean "web.listen"?');

    // smtp.host is required, but the reason it is "missing" is the typo: that is what the message must name.
    await writeFile(
      join(dir, "hidden.ts"),
      `export default { mail: { smtp: { hots: "mail.example.org" } } };\n`,
    );
    const hidden = await vestibule(["--config", "hidden.ts", "check-config"]);
    expect(hidden.code).toBe(2);
    expect(hidden.stderr.trim()).toBe('config: unknown key "mail.smtp.hots"; did you mean "mail.smtp.host"?');
  });

  it("a key that resembles nothing gets no wild guess", async () => {
    await writeFile(join(dir, "far.ts"), `export default { bot: { frobnicate: true } };\n`);
    const result = await vestibule(["--config", "far.ts", "check-config"]);
    expect(result.stderr.trim()).toBe('config: unknown key "bot.frobnicate"');
  });

  it("a misspelt VESTIBULE_ variable names the variable it resembles", async () => {
    const typo = await vestibule(["check-config"], { VESTIBULE_WEB_LISTNE: "0.0.0.0:1" });
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe(
      "config: VESTIBULE_WEB_LISTNE is not a known setting; did you mean VESTIBULE_WEB_LISTEN?",
    );
    const secretFile = await vestibule(["check-config"], { VESTIBULE_BOT_PASWORD_FILE: "/dev/null" });
    expect(secretFile.stderr.trim()).toBe(
      "config: VESTIBULE_BOT_PASWORD_FILE is not a known setting; did you mean VESTIBULE_BOT_PASSWORD_FILE?",
    );
  });

  it("the test tooling's own VESTIBULE_ switches do not stop the service", async () => {
    const result = await vestibule(["check-config"], { VESTIBULE_TEST_PORT_BASE: "19008" });
    expect(result.code).toBe(0);
  });
});

describe("an error in config.ts shows where it is", () => {
  it("a syntax error: file:line:column, the line, and a caret under the column", async () => {
    await writeFile(
      join(dir, "config.ts"),
      [
        `import { defineConfig } from ${JSON.stringify(resolve(import.meta.dirname, "../../src/config/index.ts"))};`,
        "export default defineConfig({",
        '  publicUrl: "https://join.example.org",',
        '  web: { listen: "0.0.0.0:8080",, },',
        "});",
        "",
      ].join("\n"),
    );
    const result = await vestibule(["check-config"]);
    await rm(join(dir, "config.ts"));
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^config: \/.*\/config\.ts:4:33: /);
    expect(lines[1]).toBe('  4 |   web: { listen: "0.0.0.0:8080",, },');
    expect(lines[2]).toBe(`    | ${" ".repeat(32)}^`);
    expect(result.stderr).not.toContain("node:internal");
  });

  it("TypeScript that type stripping cannot run (an enum) is located too", async () => {
    await writeFile(join(dir, "enum.ts"), `export default {};\nenum Mode { A }\n`);
    const result = await vestibule(["--config", "enum.ts", "check-config"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/enum\.ts:2:1: TypeScript enum is not supported/);
    expect(result.stderr).toContain("  2 | enum Mode { A }");
  });

  it("an error thrown while the file runs, and a missing import, point at their line", async () => {
    await writeFile(
      join(dir, "throws.ts"),
      `const secretsDir = process.env["NOPE"];\nconst key = secretsDir!.trim();\nexport default { secrets: { key } };\n`,
    );
    const thrown = await vestibule(["--config", "throws.ts", "check-config"]);
    expect(thrown.code).toBe(2);
    expect(thrown.stderr).toMatch(/throws\.ts:2:\d+: Cannot read properties of undefined/);
    expect(thrown.stderr).toContain("  2 | const key = secretsDir!.trim();");

    await writeFile(
      join(dir, "imports.ts"),
      `// shared settings\nimport base from "./base.ts";\nexport default base;\n`,
    );
    const missing = await vestibule(["--config", "imports.ts", "check-config"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/imports\.ts:2:19: Cannot find module '.*\/base\.ts'/);
  });
});

describe("a listen address that cannot be bound", () => {
  let holder: Server;
  let taken: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    taken = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => holder.close(resolve));
  });

  it("web.listen taken: one line naming the key and its variable, exit code 2, no stack", async () => {
    const result = await vestibule(["serve"], {
      VESTIBULE_WEB_LISTEN: `127.0.0.1:${taken}`,
      VESTIBULE_HOMESERVER_URL: "http://127.0.0.1:9",
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      `config: web.listen: 127.0.0.1:${taken} is already in use by another program (another vestibule still running?); ` +
        "choose another address with web.listen or VESTIBULE_WEB_LISTEN",
    );
    expect(result.stderr + result.stdout).not.toContain("EADDRINUSE");
  });

  it("internal.listen taken: the same, for the internal API", async () => {
    const result = await vestibule(["serve", "--roles", "internal"], {
      VESTIBULE_INTERNAL_LISTEN: `127.0.0.1:${taken}`,
      VESTIBULE_HOMESERVER_URL: "http://127.0.0.1:9",
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^config: internal\.listen: .* VESTIBULE_INTERNAL_LISTEN$/),
    ]);
  });
});

describe("the service's own log", () => {
  it("says where it really listens, what runs, that idle jobs found nothing (at debug), and why it stops", async () => {
    const service = await spawnService(
      {
        VESTIBULE_WEB_LISTEN: "0.0.0.0:0",
        VESTIBULE_HOMESERVER_URL: "http://127.0.0.1:9",
        VESTIBULE_LOG_LEVEL: "debug",
        // Every second, so that an idle scheduled run happens within the test.
        VESTIBULE_JOBS_OUTBOX: "* * * * * *",
      },
      { readyWhen: (output) => output.includes("job outbox done"), readyWithinMs: 90_000 },
    );
    try {
      const lines = service
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const listening = lines.find((l) => String(l["msg"]).startsWith("web listening"));
      const port = Number(/^0\.0\.0\.0:(\d+)$/.exec(String(listening?.["address"]))?.[1]);
      expect(port).toBeGreaterThan(0);
      expect(listening?.["msg"]).toBe(`web listening on 0.0.0.0:${port} (all IPv4 interfaces)`);
      // The port in the log is the one that answers.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

      expect(
        lines.find((l) => l["msg"] === "vestibule started (web, internal, bot, jobs; pglite)"),
      ).toMatchObject({
        roles: ["web", "internal", "bot", "jobs"],
        database: "pglite",
        web: `0.0.0.0:${port}`,
        internal: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        bot: "disabled (not configured: set bot.accessToken or bot.password)",
        jobs: "ok",
      });
      const jobLines = lines.filter((l) => String(l["msg"]).startsWith("job outbox done"));
      expect(jobLines.length).toBeGreaterThan(0);
      for (const line of jobLines) {
        expect(line).toMatchObject({ level: 20, msg: "job outbox done (nothing to do)" });
      }
    } finally {
      await service.stop();
    }
    expect(await service.exited).toBe(0);
    const tail = service
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(tail.find((l) => l["reason"] === "SIGTERM")).toMatchObject({
      msg: "stopping vestibule (SIGTERM)",
      roles: ["web", "internal", "bot", "jobs"],
      database: "pglite",
    });
    expect(tail.at(-1)?.["msg"]).toBe("vestibule stopped");
  }, 150_000);
});

describe("bin/vestibule under an old Node", () => {
  /** A PATH of just what the launcher needs besides node (it runs before any node is known to work). */
  async function pathWith(node: string | undefined): Promise<string> {
    // Inside the file's scratch folder, which afterAll removes.
    const bin = await mkdtemp(join(dir, "path-"));
    for (const tool of ["dirname", "readlink"]) await symlink(`/usr/bin/${tool}`, join(bin, tool));
    if (node !== undefined) {
      await writeFile(join(bin, "node"), node);
      await chmod(join(bin, "node"), 0o755);
    }
    return bin;
  }

  async function launch(path: string) {
    try {
      await run("/bin/bash", [launcher, "--version"], { env: { ...cleanEnv(), PATH: path } });
      return { code: 0, stderr: "" };
    } catch (error) {
      const e = error as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  }

  it("says in one sentence which Node is needed and how to get it, instead of a loader error", async () => {
    // A node that only answers --version: if the launcher tried to run Vestibule with it, the exit code would be 97.
    const path = await pathWith(
      `#!/bin/sh\n[ "$1" = "--version" ] && { echo v20.11.1; exit 0; }\necho "old node must not run vestibule" >&2\nexit 97\n`,
    );
    const result = await launch(path);
    expect(result.code).toBe(3);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Vestibule needs Node\.js 22\.18 or newer, but .*\/node is v20\.11\.1; /);
    expect(lines[0]).toMatch(/npm start/);
    expect(result.stderr).not.toContain("ERR_UNKNOWN_FILE_EXTENSION");
  });

  it("says the same when there is no node at all", async () => {
    const result = await launch(await pathWith(undefined));
    expect(result.code).toBe(3);
    expect(result.stderr.trim()).toMatch(
      /^Vestibule needs Node\.js 22\.18 or newer, and there is no node on the PATH; /,
    );
  });
});
