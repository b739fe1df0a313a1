// The Kysely instance: embedded PGlite by default, PostgreSQL through `pg` when database.url is set.
import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { AppError } from "../errors.ts";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { Kysely, PGliteDialect, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database>;

/** int8 (bigint) columns hold row ids and counts far below 2^53: read them as numbers, not strings. */
const INT8_OID = 20;

export interface DatabaseOptions {
  /** postgres:// URL; unset means embedded PGlite. */
  url?: string | undefined;
  /** Where PGlite keeps its files; `null` keeps them in memory (tests). */
  dataDir: string | null;
  poolSize?: number;
  /** Called when a pooled PostgreSQL connection fails outside a query (e.g. the server restarted). */
  onConnectionError?: (error: Error) => void;
}

export interface DatabaseHandle {
  db: Db;
  kind: "postgres" | "pglite";
  /** Listen for NOTIFY on a channel (PostgreSQL only; PGlite is one process, so in-process wake-ups suffice). */
  listen?: (channel: string, onNotify: () => void) => Promise<() => Promise<void>>;
  /** A dedicated session for advisory locks that must live as long as the process holds a role. */
  openSession?: () => Promise<DedicatedSession>;
  close(): Promise<void>;
}

/** One PostgreSQL session kept open (advisory locks are per session). */
export interface DedicatedSession {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Resolves when the session ends (server restart, network loss). */
  ended: Promise<Error | undefined>;
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.url ? openPostgres(options.url, options) : openPglite(options.dataDir);
}

/**
 * PGlite keeps its files for one process only: two processes on one data directory would corrupt it. A lock file
 * with the owner's pid refuses a second opener (e.g. a CLI command while `vestibule serve` runs) with a clear error.
 */
async function lockDataDir(location: string): Promise<() => Promise<void>> {
  const lockFile = join(location, "vestibule.pid");
  try {
    await writeFile(lockFile, String(process.pid), { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const owner = Number((await readFile(lockFile, "utf8").catch(() => "")).trim());
    let alive = false;
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid) {
      try {
        process.kill(owner, 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if (alive) {
      throw new AppError(
        "config",
        `the embedded database in ${location} is in use by process ${owner}; stop it first, or use PostgreSQL (database.url) to run commands next to a running service`,
      );
    }
    // A stale lock from a process that died: take it over.
    await writeFile(lockFile, String(process.pid));
  }
  return async () => {
    await unlink(lockFile).catch(() => undefined);
  };
}

async function openPglite(dataDir: string | null): Promise<DatabaseHandle> {
  let location: string | undefined;
  let unlock = async () => {};
  if (dataDir !== null) {
    location = resolve(join(dataDir, "pglite"));
    await mkdir(location, { recursive: true });
    unlock = await lockDataDir(location);
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(location, {
      extensions: { pg_trgm },
      parsers: { [INT8_OID]: (value: string) => Number(value) },
    });
  } catch (error) {
    await unlock();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: "pglite",
    async close() {
      await db.destroy();
      await unlock();
    },
  };
}

function openPostgres(url: string, options: DatabaseOptions): Promise<DatabaseHandle> {
  const defaultParser = (oid: number, format?: string): ((value: string) => unknown) =>
    pg.types.getTypeParser(oid, format as "text") as (value: string) => unknown;
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === INT8_OID
        ? (value: string) => Number(value)
        : defaultParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    // Fail fast when the server is away, so callers see an error rather than hang; the pool reconnects by itself.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (server restart) emits 'error' on the pool; without a listener Node
  // would crash. The pool drops that client and opens a new one on the next query.
  pool.on("error", (error) => options.onConnectionError?.(error));
  // A connection that dies while checked out but between queries (inside a transaction, say) emits 'error' on its
  // client, where the pool does not listen; without this, a server restart would crash the process.
  pool.on("connect", (client) => {
    client.on("error", (error) => options.onConnectionError?.(error));
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  const openSession = async (): Promise<DedicatedSession> => {
    const client = new pg.Client({ connectionString: url, types });
    let resolveEnded!: (error: Error | undefined) => void;
    const ended = new Promise<Error | undefined>((r) => (resolveEnded = r));
    client.on("error", (error) => resolveEnded(error));
    client.on("end", () => resolveEnded(undefined));
    await client.connect();
    return {
      async query<T>(text: string, params: unknown[] = []) {
        const result = await client.query(text, params);
        return result.rows as T[];
      },
      ended,
      async close() {
        await client.end().catch(() => undefined);
      },
    };
  };

  return Promise.resolve({
    db,
    kind: "postgres",
    openSession,
    async listen(channel, onNotify) {
      // A dedicated session that reconnects by itself: after a server restart it listens again and calls
      // onNotify once, because notifications sent while it was away are lost.
      let session: pg.Client | undefined;
      let stopped = false;
      let retryTimer: NodeJS.Timeout | undefined;
      let delay = 500;
      const connect = async (): Promise<void> => {
        const client = new pg.Client({ connectionString: url, types, connectionTimeoutMillis: 5_000 });
        client.on("notification", (message) => {
          if (message.channel === channel) onNotify();
        });
        const reconnect = () => {
          if (stopped || session !== client) return;
          session = undefined;
          retryTimer = setTimeout(() => void attempt(), delay);
          retryTimer.unref();
          delay = Math.min(delay * 2, 10_000);
        };
        client.on("error", reconnect);
        client.on("end", reconnect);
        await client.connect();
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        if (stopped) {
          await client.end().catch(() => undefined);
          return;
        }
        session = client;
        delay = 500;
      };
      const attempt = async () => {
        try {
          await connect();
          onNotify();
        } catch (error) {
          options.onConnectionError?.(error as Error);
          if (stopped) return;
          retryTimer = setTimeout(() => void attempt(), delay);
          retryTimer.unref();
          delay = Math.min(delay * 2, 10_000);
        }
      };
      await connect();
      return async () => {
        stopped = true;
        if (retryTimer) clearTimeout(retryTimer);
        await session?.end().catch(() => undefined);
      };
    },
    async close() {
      await db.destroy();
    },
  });
}

/** `true` when the database answers a trivial query. */
export async function pingDatabase(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
