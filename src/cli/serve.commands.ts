// serve and migrate.
import { configWarnings } from "../config/index.ts";
import { createLogger } from "../logger.ts";
import { allRoles, start, type Role } from "../start.ts";
import { UsageError, type Command } from "./command.ts";
import { migrateDatabase } from "./deps.ts";

export function parseRoles(value: string | undefined): Role[] {
  if (value === undefined) return [...allRoles];
  const roles = value
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  for (const role of roles) {
    if (!(allRoles as readonly string[]).includes(role))
      throw new UsageError(`unknown role "${role}" (roles: ${allRoles.join(", ")})`);
  }
  if (roles.length === 0) throw new UsageError("--roles needs at least one role");
  return [...new Set(roles)] as Role[];
}

export const serveCommand: Command = {
  name: "serve",
  summary: "run the service (all roles, or those given)",
  usage: ["serve [--roles web,internal,bot,jobs]"],
  options: { roles: { type: "string" } },
  async run(ctx) {
    const roles = parseRoles(ctx.options["roles"] as string | undefined);
    const logger = createLogger({ level: ctx.config.log.level });
    logger.info({ config: ctx.configSource ?? "defaults", roles }, "starting vestibule");
    for (const warning of configWarnings(ctx.config)) logger.warn(warning);
    const service = await start(ctx.config, { roles, logger });
    return { service };
  },
};

export const migrateCommand: Command = {
  name: "migrate",
  summary: "bring the database schema up to date (serve also does this on start)",
  usage: ["migrate"],
  async run(ctx) {
    const report = await migrateDatabase(ctx.config);
    ctx.out(report.applied.length === 0 ? "database is up to date" : `applied: ${report.applied.join(", ")}`);
    return { exitCode: 0 };
  },
};
