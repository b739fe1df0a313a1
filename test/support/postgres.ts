// A real PostgreSQL for the tests: TEST_DATABASE_URL, else the server on 127.0.0.1:5432 if it answers, else a
// throwaway cluster of our own (initdb + pg_ctl, installing Debian's postgresql package if it is missing).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";

const repo = realpathSync(resolve(import.meta.dirname, "../.."));
const ownClusterPort = 55432;

/**
 * Where the tests' own clusters live: /var/tmp/vestibule-<hash of the checkout's path>/<name>. Not inside the
 * checkout: as root, the cluster runs as the postgres user (initdb refuses root), and a checkout under /root or in a
 * `mktemp -d` folder is not reachable for that user. scripts/test-cleanup.sh computes the same path (sha256 of the
 * physical path, 12 hex digits), stops the clusters and deletes the folder after the last test run.
 */
export const clusterBase = `/var/tmp/vestibule-${createHash("sha256").update(repo).digest("hex").slice(0, 12)}`;

/**
 * A fixed test port moved by VESTIBULE_TEST_PORT_BASE (default 18008, the main Synapse's port), like synapse.sh
 * moves the Synapse ports: a second checkout then runs beside the first without sharing a port.
 */
export function testPort(port: number): number {
  const base = Number(process.env["VESTIBULE_TEST_PORT_BASE"] ?? 18008);
  if (!Number.isInteger(base) || base < 1024 || base > 60000)
    throw new Error("VESTIBULE_TEST_PORT_BASE must be a port number between 1024 and 60000");
  const moved = port + base - 18008;
  if (moved > 65535) throw new Error(`VESTIBULE_TEST_PORT_BASE moves port ${port} beyond 65535`);
  return moved;
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function pgBinDir(): string | null {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(base, version, "bin");
    if (existsSync(join(bin, "initdb"))) return bin;
  }
  return null;
}

/**
 * Runs a command as the `postgres` system user when we are root (initdb refuses to run as root), in a directory
 * that user may enter (the test's working directory may be a root-only checkout).
 */
function runAsPostgres(command: string, args: string[], cwd: string) {
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync("runuser", ["-u", "postgres", "--", command, ...args], { encoding: "utf8", cwd })
    : spawnSync(command, args, { encoding: "utf8", cwd });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
}

export interface Cluster {
  url: string;
  /** Restarts the server (fast shutdown: every open connection is cut). */
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A PostgreSQL cluster of the tests' own under clusterBase/<name> (initdb + pg_ctl, installing Debian's postgresql
 * package when missing). Fault tests use their own so that restarting it disturbs nobody else. `port` is moved by
 * VESTIBULE_TEST_PORT_BASE (testPort).
 */
export async function startCluster(name: string, fixedPort: number): Promise<Cluster> {
  const port = testPort(fixedPort);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const dir = join(clusterBase, name);
  const dataDir = join(dir, "data");
  let bin = pgBinDir();
  if (!bin) {
    execFileSync("apt-get", ["install", "-y", "-q", "postgresql"], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    bin = pgBinDir();
    if (!bin) throw new Error("PostgreSQL is not installed and could not be installed with apt");
  }
  const pgCtl = join(bin, "pg_ctl");
  // The base is world-traversable (the postgres user must reach its cluster); each cluster is private to its owner.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(clusterBase, 0o755);
  if (process.getuid?.() === 0) execFileSync("chown", ["-R", "postgres:postgres", dir]);
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    runAsPostgres(join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8"], dir);
  }
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off`;
  const start = async () => {
    if (await answers(url)) {
      // Ours (its pid file is in our data directory), or somebody else's on the same port: then say so.
      if (existsSync(join(dataDir, "postmaster.pid"))) return;
      throw new Error(
        `port ${port} is taken by another PostgreSQL server (not the test cluster ${name} in ${dataDir}); stop it`,
      );
    }
    runAsPostgres(pgCtl, ["-D", dataDir, "-l", join(dir, "server.log"), "-o", options, "-w", "start"], dir);
    if (!(await answers(url))) throw new Error(`the PostgreSQL cluster ${name} did not answer`);
  };
  await start();
  return {
    url,
    start,
    stop() {
      runAsPostgres(pgCtl, ["-D", dataDir, "-m", "fast", "-w", "stop"], dir);
      return Promise.resolve();
    },
    restart() {
      runAsPostgres(
        pgCtl,
        ["-D", dataDir, "-l", join(dir, "server.log"), "-o", options, "-m", "fast", "-w", "restart"],
        dir,
      );
      return Promise.resolve();
    },
  };
}

async function startOwnCluster(): Promise<string> {
  return (await startCluster("postgres", ownClusterPort)).url;
}

/** The URL of a PostgreSQL server where tests may create and drop databases. */
export async function ensurePostgres(): Promise<string> {
  const fromEnv = process.env["TEST_DATABASE_URL"];
  if (fromEnv) {
    if (!(await answers(fromEnv))) throw new Error(`TEST_DATABASE_URL does not answer`);
    return fromEnv;
  }
  const local = "postgres://postgres@127.0.0.1:5432/postgres";
  if (await answers(local)) return local;
  return startOwnCluster();
}

/** Creates a fresh, empty database on the server and returns its URL and a function that drops it. */
export async function createScratchDatabase(
  serverUrl: string,
  prefix = "vestibule_test",
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
