// Environment overrides: VESTIBULE_ + the key path in upper snake case (bot.accessToken → VESTIBULE_BOT_ACCESS_TOKEN).
// The names are derived by walking the schema, never by parsing the variable name, so nothing is ambiguous; a
// VESTIBULE_ variable that names no key is an error (it is almost always a typo).
import { readFileSync } from "node:fs";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { configSchema, secrets } from "./schema.ts";
import { closest } from "./suggest.ts";

export interface Leaf {
  path: string[];
  envName: string;
  schema: z.ZodType;
  secret: boolean;
}

/**
 * Variables that are not config keys but belong to Vestibule: the config file's path, and the test tooling's
 * switches (documented in the README), which a developer may well have exported in the shell that runs the service.
 */
const reservedNames = new Set([
  "VESTIBULE_CONFIG",
  "VESTIBULE_SYNAPSE_ROOT",
  "VESTIBULE_TEST_PORT_BASE",
  "VESTIBULE_TEST_KEEP",
]);

function snake(part: string): string {
  return part.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

export function envNameFor(path: readonly string[]): string {
  return `VESTIBULE_${path.map(snake).join("_")}`;
}

/** Removes optional/default/prefault/pipe wrappers to reach the schema that decides the value's shape. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; secret: boolean } {
  let current: z.ZodType = schema;
  let secret = secrets.has(current);
  for (;;) {
    const def = (current as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod
      .def;
    const next = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (!next) break;
    current = next;
    if (secrets.has(current)) secret = true;
  }
  return { inner: current, secret };
}

function collectLeaves(schema: z.ZodType, path: string[], out: Leaf[]) {
  const { inner, secret } = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = inner.shape;
    for (const [key, child] of Object.entries(shape)) collectLeaves(child, [...path, key], out);
    return;
  }
  out.push({ path, envName: envNameFor(path), schema: inner, secret });
}

/**
 * The keys the schema allows at a path of the input (array indexes step into the element schema), e.g. ["web"] →
 * listen, trustedProxies, …; [] for a path that is no object in the schema.
 */
export function keysAt(path: readonly PropertyKey[]): string[] {
  let node: z.ZodType = configSchema;
  for (const key of path) {
    const { inner } = unwrap(node);
    if (inner instanceof z.ZodObject) {
      const shape: Record<string, z.ZodType> = inner.shape;
      const child = shape[String(key)];
      if (!child) return [];
      node = child;
    } else if (inner instanceof z.ZodArray && typeof key === "number") {
      node = inner.element as z.ZodType;
    } else return [];
  }
  const { inner } = unwrap(node);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/** Every object path of the schema ("web", "web.rateLimits", …), for keys put at the wrong level. */
export function sectionPaths(): string[][] {
  const out: string[][] = [];
  const walk = (schema: z.ZodType, path: string[]) => {
    const { inner } = unwrap(schema);
    if (!(inner instanceof z.ZodObject)) return;
    out.push(path);
    const shape: Record<string, z.ZodType> = inner.shape;
    for (const [key, child] of Object.entries(shape)) walk(child, [...path, key]);
  };
  walk(configSchema, []);
  return out;
}

let cachedLeaves: Leaf[] | undefined;
export function configLeaves(): Leaf[] {
  if (!cachedLeaves) {
    cachedLeaves = [];
    collectLeaves(configSchema, [], cachedLeaves);
  }
  return cachedLeaves;
}

function kindOf(schema: z.ZodType): string {
  return (schema as { _zod: { def: { type: string } } })._zod.def.type;
}

/** Turns the text of an environment variable into the value the key expects. */
function coerce(leaf: Leaf, raw: string): unknown {
  const kind = kindOf(leaf.schema);
  const trimmed = raw.trim();
  switch (kind) {
    case "number":
    case "int":
      return trimmed !== "" && !Number.isNaN(Number(trimmed)) ? Number(trimmed) : raw;
    case "boolean": {
      const lower = trimmed.toLowerCase();
      if (["true", "1", "yes", "on"].includes(lower)) return true;
      if (["false", "0", "no", "off"].includes(lower)) return false;
      return raw;
    }
    case "array":
      if (trimmed.startsWith("[")) {
        try {
          return JSON.parse(trimmed) as unknown;
        } catch {
          throw new AppError(
            "config",
            `config: ${leaf.envName}: expected a JSON array or a comma-separated list`,
          );
        }
      }
      return trimmed === "" ? [] : trimmed.split(",").map((item) => item.trim());
    case "union":
      // e.g. "interactive" | number
      return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown) {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** "… is not a known setting", with the closest real variable when the name looks like a typo of one. */
function unknownVariable(name: string, known: Iterable<string>): string {
  const strip = (n: string) => n.slice("VESTIBULE_".length);
  const byStripped = new Map([...known].map((n) => [strip(n), n]));
  const near = closest(strip(name), byStripped.keys());
  const hint = near === undefined ? "" : `; did you mean ${byStripped.get(near)}?`;
  return `config: ${name} is not a known setting${hint}`;
}

export interface EnvOverrides {
  values: Record<string, unknown>;
  /** Key path (dotted) → the variable that set it, for error messages. */
  sources: Map<string, string>;
}

/** Reads every VESTIBULE_ variable into a partial config object. */
export function readEnvOverrides(env: Readonly<Record<string, string | undefined>>): EnvOverrides {
  const leaves = configLeaves();
  const byName = new Map<string, Leaf>();
  for (const leaf of leaves) {
    byName.set(leaf.envName, leaf);
    if (leaf.secret) byName.set(`${leaf.envName}_FILE`, leaf);
  }
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("VESTIBULE_") || raw === undefined || reservedNames.has(name)) continue;
    const leaf = byName.get(name);
    if (!leaf) throw new AppError("config", unknownVariable(name, byName.keys()));
    let text = raw;
    if (name.endsWith("_FILE") && name !== leaf.envName) {
      try {
        text = readFileSync(raw, "utf8").replace(/\r?\n$/, "");
      } catch (error) {
        throw new AppError(
          "config",
          `config: ${name}: cannot read ${raw} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
        );
      }
    }
    setPath(values, leaf.path, coerce(leaf, text));
    sources.set(leaf.path.join("."), name);
  }
  return { values, sources };
}
