// Runs a suite once on embedded PGlite and once on a real PostgreSQL, each on a fresh database migrated by the
// production migrator.
import { afterAll, beforeAll, describe, inject } from "vitest";
import { openDatabase, type DatabaseHandle } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { createScratchDatabase } from "./postgres.ts";

export type DatabaseKind = "pglite" | "postgres";
export const databaseKinds: readonly DatabaseKind[] = ["pglite", "postgres"];

export interface TestDatabase extends DatabaseHandle {
  /** The postgres:// URL (PostgreSQL only), e.g. to start a second instance on the same database. */
  url: string | undefined;
}

/** Opens a fresh, migrated database of that kind. Close it with `close()` (drops the PostgreSQL database). */
export async function openTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === "pglite") {
    const handle = await openDatabase({ dataDir: null });
    await migrateToLatest(handle.db);
    return { ...handle, url: undefined };
  }
  const scratch = await createScratchDatabase(inject("postgresUrl"));
  const handle = await openDatabase({ url: scratch.url, dataDir: null, poolSize: 10 });
  await migrateToLatest(handle.db);
  return {
    ...handle,
    url: scratch.url,
    async close() {
      await handle.close();
      await scratch.drop();
    },
  };
}

/** `describe` once per database kind; `get()` returns that suite's database inside tests and hooks. */
export function describeEachDatabase(
  title: string,
  body: (get: () => TestDatabase, kind: DatabaseKind) => void,
): void {
  for (const kind of databaseKinds) {
    describe(`${title} [${kind}]`, () => {
      let database: TestDatabase | undefined;
      beforeAll(async () => {
        database = await openTestDatabase(kind);
      });
      afterAll(async () => {
        await database?.close();
      });
      body(() => {
        if (!database) throw new Error("the test database is not open yet (use it inside tests and hooks)");
        return database;
      }, kind);
    });
  }
}
