// Runs a `vestibule` command in-process on a test database, the way main.ts would: options parsed with the
// command's own definitions, UsageError → exit 2, AppError → exit 1. The command's deps are built by the CLI's
// own composition (cliDepsFor) over the already open test database, so a test on PGlite needs no files and a
// test on PostgreSQL no new connection pool per command. Spawned runs (test/cli/bans.test.ts, …) cover main.ts.
import { parseArgs } from "node:util";
import { UsageError, type CommandContext } from "../../src/cli/command.ts";
import { commands } from "../../src/cli/commands.ts";
import { cliDepsFor } from "../../src/cli/deps.ts";
import { parseConfig } from "../../src/config/index.ts";
import { deepMerge } from "../../src/config/load.ts";
import type { Db } from "../../src/db/database.ts";
import { isAppError } from "../../src/errors.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  db: Db,
  argv: string[],
  options: { config?: Record<string, unknown>; user?: string } = {},
): Promise<CliRun> {
  const [name, ...args] = argv;
  const command = commands.find((c) => c.name === name);
  if (!command) throw new Error(`no command ${name}`);
  const config = parseConfig(deepMerge({ dataDir: "/nonexistent-cli-test" }, options.config ?? {}));
  const out: string[] = [];
  const err: string[] = [];
  try {
    const parsed = parseArgs({ args, options: command.options ?? {}, allowPositionals: true, strict: true });
    const result = await command.run({
      config,
      configSource: null,
      // parseArgs types mixed arrays; each option here has one type, as in main.ts.
      options: parsed.values as CommandContext["options"],
      positionals: parsed.positionals,
      out: (line) => out.push(`${line}\n`),
      err: (line) => err.push(`${line}\n`),
      env: { USER: options.user ?? "tester" },
      openDeps: (c) => Promise.resolve({ ...cliDepsFor(c, db), close: () => Promise.resolve() }),
    });
    if (!("exitCode" in result)) throw new Error("a long-running command in a CLI test");
    return { code: result.exitCode, stdout: out.join(""), stderr: err.join("") };
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error)) {
      err.push(`${error.message}\nusage:\n`);
      return { code: 2, stdout: out.join(""), stderr: err.join("") };
    }
    if (isAppError(error)) {
      err.push(`${error.publicMessage} (${error.message})\n`);
      return { code: error.code === "config" ? 2 : 1, stdout: out.join(""), stderr: err.join("") };
    }
    throw error;
  }
}
