// Loads the configuration: the file (--config PATH, VESTIBULE_CONFIG, ./config.ts, or none), then environment
// overrides, then the schema. Any problem becomes one line naming the key.
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { readEnvOverrides, envNameFor, keysAt, sectionPaths } from "./env.ts";
import { configSchema, type Config } from "./schema.ts";
import { closest } from "./suggest.ts";

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
    throw new AppError("config", describeLoadError(file, error), { cause: error });
  }
  if (module.default === undefined) throw new AppError("config", `config: ${file} has no default export`);
  return module.default;
}

/** Where in a source file an error points, and that line of the file. */
interface SourceLocation {
  file: string;
  line: number;
  column: number | undefined;
}

/**
 * Finds the location of an error thrown while importing the config file. Node reports a syntax error (from its
 * TypeScript stripper or from V8) with a stack that starts "FILE:LINE", then the source, then a line of carets
 * under the offending token; an error thrown while the file runs has a stack frame "at file://FILE:LINE:COLUMN".
 * Neither is in the message, which is all an operator saw before.
 */
export function locateError(error: unknown, file: string): SourceLocation | undefined {
  if (!(error instanceof Error) || !error.stack) return undefined;
  const lines = error.stack.split("\n");
  const header = /^(?:file:\/\/)?(\/.*?):(\d+)$/.exec(lines[0] ?? "");
  if (header) {
    const caretLine = lines.findIndex((l, i) => i > 0 && /^\s*\^+\s*$/.test(l));
    return {
      file: decodeURIComponent(header[1]!),
      line: Number(header[2]),
      column: caretLine > 0 ? lines[caretLine]!.indexOf("^") + 1 : undefined,
    };
  }
  // The innermost frame in the config file itself (a frame in an imported module would also do, but the config
  // file is where the operator can act).
  const href = pathToFileURL(file).href.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const frame = new RegExp(`${href}:(\\d+):(\\d+)`).exec(error.stack);
  if (frame) return { file, line: Number(frame[1]), column: Number(frame[2]) };
  // A missing import carries no position, only the resolved path: point at the import that names the file.
  const missing = /^Cannot find (?:module|package) '([^']+)' imported from (.+)$/.exec(error.message);
  if (missing && missing[2] === file) {
    const name = basename(missing[1]!);
    const source = readFileSync(file, "utf8").split(/\r?\n/);
    const line = source.findIndex((l) => /\b(?:import|from)\b/.test(l) && l.includes(name));
    if (line >= 0) {
      // The column of the specifier as written ("./base.ts"), just after its opening quote.
      const text = source[line]!;
      const quote = Math.max(...["'", '"', "`"].map((q) => text.lastIndexOf(q, text.indexOf(name))));
      return { file, line: line + 1, column: quote + 2 };
    }
  }
  return undefined;
}

/** "config: FILE:LINE:COLUMN: message", then the offending line with a caret under the column. */
function describeLoadError(file: string, error: unknown): string {
  const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
  const where = locateError(error, file);
  if (!where) return `config: cannot load ${file}: ${message}`;
  const position = `${where.file}:${where.line}${where.column === undefined ? "" : `:${where.column}`}`;
  let source: string | undefined;
  try {
    source = readFileSync(where.file, "utf8").split(/\r?\n/)[where.line - 1];
  } catch {
    // The location named a file we cannot read (Node internals): the position alone still helps.
  }
  if (source === undefined) return `config: ${position}: ${message}`;
  const gutter = `  ${where.line} | `;
  const shown = [`config: ${position}: ${message}`, `${gutter}${source}`];
  if (where.column !== undefined) {
    // Tabs stay tabs in the padding, so the caret lands under the column whatever the terminal's tab width.
    const pad = source.slice(0, where.column - 1).replace(/[^\t]/g, " ");
    shown.push(`${" ".repeat(gutter.length - 2)}| ${pad}^`);
  }
  return shown.join("\n");
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
  // A mistyped key is the likeliest cause of everything else (a required key then looks missing): name it first.
  const issue = result.error.issues.find((i) => i.code === "unrecognized_keys") ?? result.error.issues[0]!;
  throw new AppError("config", describeIssue(issue, input, envSources), {
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

/**
 * A likely meant key for an unknown one: a near spelling at the same level first ("web.listne" → "web.listen"),
 * else the same name at another level ("listen" at the top → "web.listen"), else a near spelling elsewhere.
 */
function suggestKey(path: readonly PropertyKey[], typed: string): string | undefined {
  const prefix = path.map(String);
  const sameLevel = closest(typed, keysAt(path));
  if (sameLevel) return [...prefix, sameLevel].join(".");
  // Sections nearest to where the key was written come first, so ties favour them.
  const elsewhere = sectionPaths().flatMap((section) => keysAt(section).map((k) => [...section, k]));
  const exact = elsewhere.find((candidate) => candidate.at(-1) === typed);
  if (exact) return exact.join(".");
  const byName = new Map(elsewhere.map((candidate) => [candidate.join("."), candidate.at(-1)!]));
  const near = closest(typed, byName.values());
  return near === undefined ? undefined : [...byName].find(([, k]) => k === near)?.[0];
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
      const typed = issue.keys[0]!;
      const key = [...issue.path.map(String), typed].join(".");
      const near = suggestKey(issue.path, typed);
      return `config: unknown key "${key}"${near ? `; did you mean "${near}"?` : ""}`;
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
