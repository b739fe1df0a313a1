// The shape of a CLI command. main.ts parses the global options and hands each command its context; commands never
// touch process.* themselves.
import type { ParseArgsConfig } from "node:util";
import type { Config } from "../config/index.ts";
import type { OpenCliDeps } from "./deps.ts";

export interface CommandContext {
  config: Config;
  /** Values of the command's own options. */
  options: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  /** A line to standard output / standard error. */
  out(line: string): void;
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Where the config came from (null: defaults only). */
  configSource: string | null;
  /**
   * How commands get their database-backed deps (default: openCliDeps, from the config). The composition point
   * is a parameter like out/err/env, so a test can run a command in-process on its own test database.
   */
  openDeps?: OpenCliDeps;
}

/** A long-running command returns the service; main stops it on SIGTERM/SIGINT. */
export type CommandResult = { exitCode: number } | { service: { stop(): Promise<void> } };

export interface Command {
  name: string;
  summary: string;
  /** Usage line(s) after `vestibule `, e.g. "bans add <kind> <value> [--reason TEXT]". */
  usage: string[];
  options?: NonNullable<ParseArgsConfig["options"]>;
  /** Commands that never need a valid config (keygen) say so; main then skips loading it. */
  needsConfig?: boolean;
  run(ctx: CommandContext): Promise<CommandResult>;
}

/** Thrown by a command for wrong arguments: main prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
