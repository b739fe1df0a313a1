// CLI entry: the only file that reads process.argv / process.env, writes to the terminal directly, installs signal
// handlers or exits. Everything else gets what it needs passed in.
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { commands } from "./cli/commands.ts";
import { UsageError, type Command } from "./cli/command.ts";
import { loadConfig, parseConfig } from "./config/index.ts";
import { isAppError } from "./errors.ts";

const globalOptions = {
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} satisfies NonNullable<ParseArgsConfig["options"]>;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function usage(command?: Command): string {
  if (command)
    return ["usage:", ...command.usage.map((u) => `  vestibule ${u}`), "", `${command.summary}`].join("\n");
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "usage: vestibule [--config PATH] <command> [options]",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "The config comes from --config PATH, else VESTIBULE_CONFIG, else ./config.ts, else the defaults;",
    "VESTIBULE_<KEY_PATH> environment variables override single keys. `vestibule <command> --help` for details.",
  ].join("\n");
}

/** The command name: the first argument that is neither a global option nor its value. */
function findCommand(args: readonly string[]): { name: string | undefined; index: number } {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--config") {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return { name: arg, index: i };
  }
  return { name: undefined, index: -1 };
}

async function main(argv: string[]): Promise<number> {
  const found = findCommand(argv);
  const name = found.name === "help" ? undefined : found.name;
  const command = name === undefined ? undefined : commands.find((c) => c.name === name);
  if (name !== undefined && !command) {
    process.stderr.write(`vestibule: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.filter((_, i) => i !== found.index),
      options: { ...globalOptions, ...(command?.options ?? {}) },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`vestibule: ${(error as Error).message}\n\n${usage(command)}\n`);
    return 2;
  }
  if (parsed.values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (!command || parsed.values.help) {
    process.stdout.write(`${usage(command)}\n`);
    return found.name === undefined && !parsed.values.help ? 2 : 0;
  }

  let loaded;
  try {
    loaded =
      command.needsConfig === false
        ? { config: parseConfig({}), source: null }
        : await loadConfig({ path: parsed.values.config, env: process.env, cwd: process.cwd() });
  } catch (error) {
    if (isAppError(error) && error.code === "config") {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const { config: _config, help: _help, version: _version, ...options } = parsed.values;
  try {
    const result = await command.run({
      config: loaded.config,
      configSource: loaded.source,
      options,
      positionals: parsed.positionals,
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      env: process.env,
    });
    if ("exitCode" in result) return result.exitCode;
    return await runUntilSignalled(result.service);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`vestibule ${command.name}: ${error.message}\n\n${usage(command)}\n`);
      return 2;
    }
    if (isAppError(error) && error.code === "config") {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (isAppError(error)) {
      process.stderr.write(`vestibule ${command.name}: ${error.publicMessage} (${error.message})\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * Keeps a service running until SIGTERM/SIGINT, then stops it cleanly; a second signal exits at once. The service
 * logs the signal with what it stops, so the log says why the process ended.
 */
function runUntilSignalled(service: { stop(reason?: string): Promise<void> }): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`vestibule: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      service.stop(signal).then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`vestibule: error while stopping: ${String(error)}\n`);
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Open handles (a pool's idle timers, worker threads) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (error: unknown) => {
    process.stderr.write(
      `vestibule: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
