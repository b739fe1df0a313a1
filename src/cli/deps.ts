// What one-shot CLI commands need: the (migrated) database and the homeserver client, closed when done.
import type { Config } from "../config/index.ts";
import { openDatabase, type DatabaseHandle } from "../db/database.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { homeserverClientFor, type HomeserverClient } from "../homeserver/index.ts";

export interface CliDeps {
  database: DatabaseHandle;
  homeserver: HomeserverClient;
}

export async function withCliDeps<T>(config: Config, work: (deps: CliDeps) => Promise<T>): Promise<T> {
  const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrateToLatest(database.db);
    const homeserver = homeserverClientFor(config.homeserver);
    return await work({ database, homeserver });
  } finally {
    await database.close();
  }
}

/** Who runs a CLI command, for audit rows: the login name when known. */
export function cliActorName(env: Readonly<Record<string, string | undefined>>): string {
  return env["SUDO_USER"] ?? env["USER"] ?? env["LOGNAME"] ?? "operator";
}
