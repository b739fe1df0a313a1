// Public face of the config module.
import { configLeaves } from "./env.ts";
import type { ConfigInput } from "./schema.ts";

export { configSchema, configWarnings } from "./schema.ts";
export type {
  Config,
  ConfigInput,
  WebConfig,
  InternalConfig,
  DatabaseConfig,
  HomeserverConfig,
  BotConfig,
  MailConfig,
  RegistrationConfig,
  JobsConfig,
} from "./schema.ts";
export { loadConfig, parseConfig, type LoadedConfig, type LoadOptions } from "./load.ts";
export { envNameFor } from "./env.ts";

/** Identity helper for config.ts: gives the file types and completion; a plain object export works too. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}

const REDACTED = "[redacted]";

/** A deep copy with every secret replaced, and the password inside a database URL blanked. */
export function redactConfig<T>(config: T): T {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const leaf of configLeaves()) {
    if (!leaf.secret) continue;
    let node: unknown = copy;
    for (const key of leaf.path.slice(0, -1)) node = (node as Record<string, unknown> | undefined)?.[key];
    const last = leaf.path[leaf.path.length - 1]!;
    if (!node || typeof node !== "object" || (node as Record<string, unknown>)[last] === undefined) continue;
    const value = (node as Record<string, unknown>)[last];
    (node as Record<string, unknown>)[last] =
      typeof value === "string" && /^postgres(ql)?:\/\//.test(value) ? redactUrlPassword(value) : REDACTED;
  }
  return copy as T;
}

function redactUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "redacted";
    return parsed.toString();
  } catch {
    return REDACTED;
  }
}
