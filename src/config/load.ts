// Loads the configuration: the file (--config PATH, VESTIBULE_CONFIG, ./config.ts, or none), then environment
// overrides, then the schema. Any problem becomes one line naming the key.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { readEnvOverrides, envNameFor } from "./env.ts";
import { configSchema, type Config } from "./schema.ts";

export interface LoadOptions {
  /** --config PATH */
  path?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export interface LoadedConfig {
  config: Config;
  /** The file the config came from, or null for defaults only. */
  source: string | null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Environment values win over the file; objects merge key by key, everything else is replaced. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = deepMerge(base[key], value);
  return merged;
}

async function readConfigFile(file: string): Promise<unknown> {
  if (file.endsWith(".json")) {
    try {
      return JSON.parse(await readFile(file, "utf8")) as unknown;
    } catch (error) {
      throw new AppError("config", `config: ${file}: ${(error as Error).message}`);
    }
  }
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new AppError("config", `config: cannot load ${file}: ${message}`, { cause: error });
  }
  if (module.default === undefined) throw new AppError("config", `config: ${file} has no default export`);
  return module.default;
}

export function configFilePath(options: LoadOptions): string | null {
  const explicit = options.path ?? options.env["VESTIBULE_CONFIG"];
  if (explicit) {
    const file = isAbsolute(explicit) ? explicit : resolve(options.cwd, explicit);
    if (!existsSync(file)) throw new AppError("config", `config: file ${explicit} does not exist`);
    return file;
  }
  const fallback = resolve(options.cwd, "config.ts");
  return existsSync(fallback) ? fallback : null;
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const source = configFilePath(options);
  const fromFile = source ? await readConfigFile(source) : {};
  if (!isPlainObject(fromFile)) throw new AppError("config", `config: ${source} must export an object`);
  const overrides = readEnvOverrides(options.env);
  const input = deepMerge(fromFile, overrides.values);
  return { config: parseConfig(input, overrides.sources), source };
}

/** Validates a config object; the first problem becomes a one-line AppError("config") naming the key. */
export function parseConfig(input: unknown, envSources: ReadonlyMap<string, string> = new Map()): Config {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  throw new AppError("config", describeIssue(result.error.issues[0]!, input, envSources), {
    detail: { issues: result.error.issues.length },
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (!isPlainObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function shown(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  input: unknown,
  envSources: ReadonlyMap<string, string>,
): string {
  const keyPath = issue.path.map(String).join(".");
  const where = (path: string) => {
    const variable = envSources.get(path);
    return variable ? `${path} (from ${variable})` : path;
  };
  switch (issue.code) {
    case "unrecognized_keys": {
      const key = [...issue.path.map(String), issue.keys[0]].join(".");
      return `config: unknown key "${key}"`;
    }
    case "invalid_type": {
      const got = valueAt(input, issue.path);
      if (got === undefined) return `config: ${where(keyPath)}: is required (expected ${issue.expected})`;
      return `config: ${where(keyPath)}: expected ${issue.expected}, got ${shown(got)}`;
    }
    case "invalid_value":
      return `config: ${where(keyPath)}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${shown(valueAt(input, issue.path))}`;
    default: {
      // Custom checks (cross-field rules) phrase their message to follow the key; others describe the value.
      const message = issue.message.replace(/^Invalid input: /, "");
      return `config: ${where(keyPath)}: ${message}`;
    }
  }
}

export { envNameFor };
