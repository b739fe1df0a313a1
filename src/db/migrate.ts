// Runs the schema migrations with Kysely's Migrator. The list is static (not read from the folder) so the set of
// migrations is part of the code that ships and nothing depends on the working directory.
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from "kysely/migration";
import type { Db } from "./database.ts";
import * as lifecycle from "./migrations/2026-11-22-01-lifecycle.ts";
import * as rotatingToken from "./migrations/2026-11-22-02-rotating-token.ts";
import * as directorySearch from "./migrations/2026-11-22-03-directory-search.ts";
import * as directorySearchColumn from "./migrations/2026-11-22-04-directory-search-column.ts";

/** Migrations in the order they apply. Names sort by date; once shipped, a migration never changes. */
export const migrations: Record<string, Migration> = {
  "2026-11-22-01-lifecycle": lifecycle,
  "2026-11-22-02-rotating-token": rotatingToken,
  "2026-11-22-03-directory-search": directorySearch,
  "2026-11-22-04-directory-search-column": directorySearchColumn,
};

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

export interface MigrationReport {
  applied: string[];
}

/** Brings the schema up to date. Safe to run concurrently from several instances: Kysely takes a lock. */
export async function migrateToLatest(db: Db): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(
      `migration ${failed} failed: ${result.error instanceof Error ? result.error.message : JSON.stringify(result.error)}`,
      { cause: result.error },
    );
  }
  return {
    applied: (result.results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName),
  };
}
