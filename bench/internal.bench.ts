// Issue 6 targets, with 100,000 local accounts on PostgreSQL: check_credentials throughput for right and wrong
// passwords next to the raw crypto_pwhash_str_verify rate measured in the same run (overhead beyond the hash
// < 10 %); directory search p99 < 10 ms; identity bulk with 1,000 lookups < 50 ms; identity single p99 < 5 ms.
import { availableParallelism } from "node:os";
import autocannon from "autocannon";
import { sql } from "kysely";
import { createPasswordHasher } from "../src/crypto/index.ts";
import { openDatabase } from "../src/db/database.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { freePort } from "../test/support/ports.ts";
import type { BenchContext } from "./run.ts";
import { benchService, percentile, scratchPostgres } from "./support.ts";

const ACCOUNTS = 100_000;
const SECRET = "bench-internal-secret-0123456789";

export default async function internal(ctx: BenchContext): Promise<void> {
  const db = await scratchPostgres();
  const handle = await openDatabase({ url: db.url, dataDir: null });
  await migrateToLatest(handle.db);
  // One real argon2id hash (interactive limits) for every account: each check costs exactly one real verification.
  const hasher = await createPasswordHasher({ opsLimit: "interactive", memLimit: "interactive" });
  const hash = await hasher.hash("right-password");
  // Varied, name-like data (made of syllables), so the trigram index sees realistic selectivity rather than one
  // word shared by every row.
  const syllables = [
    "an",
    "bel",
    "cor",
    "da",
    "el",
    "fin",
    "gar",
    "hel",
    "is",
    "jo",
    "ka",
    "lin",
    "mar",
    "nor",
    "ol",
    "pe",
    "qui",
    "ro",
    "sa",
    "ti",
    "ul",
    "ve",
    "wil",
    "xa",
    "yo",
    "ze",
    "bra",
    "cla",
    "dri",
    "fre",
  ];
  const word = (n: number, salt: number) => {
    let x = (n * 2654435761 + salt * 40503) >>> 0;
    let out = "";
    for (let k = 0; k < 3; k++) {
      out += syllables[x % syllables.length];
      x = Math.floor(x / syllables.length) + 7 * (k + 1);
    }
    return out;
  };
  const first = (n: number) => word(n, 1);
  const last = (n: number) => word(n, 2);
  const started = Date.now();
  for (let offset = 0; offset < ACCOUNTS; offset += 2000) {
    const rows = Array.from({ length: 2000 }, (_, i) => {
      const n = offset + i;
      return {
        localpart: `${first(n)}.${last(n)}${n}`,
        email: `user${n}@example.org`,
        display_name: `${first(n)[0]!.toUpperCase()}${first(n).slice(1)} ${last(n)[0]!.toUpperCase()}${last(n).slice(1)}`,
        password_hash: hash,
        created_at: new Date(),
        updated_at: new Date(),
      };
    });
    await handle.db.insertInto("local_account").values(rows).execute();
  }
  // What autovacuum does on a live system: flush the GIN pending list and refresh statistics.
  await sql`vacuum analyze local_account`.execute(handle.db);
  // And write the bulk load out now, so that a checkpoint flushing 100,000 fresh rows does not run during the
  // measurements (needs a superuser; skipped otherwise).
  await sql`checkpoint`.execute(handle.db).catch(() => ctx.note("(no CHECKPOINT: not a superuser)"));
  ctx.note(
    `seeded ${ACCOUNTS} accounts in ${((Date.now() - started) / 1000).toFixed(1)} s; ${availableParallelism()} CPUs`,
  );

  // The raw cost of the hash, on the same machine, with the same number of worker threads as the service uses.
  const rawCount = 40;
  const rawStarted = performance.now();
  await Promise.all(Array.from({ length: rawCount }, () => hasher.verify(hash, "right-password")));
  const rawRate = rawCount / ((performance.now() - rawStarted) / 1000);
  await hasher.close();
  ctx.print("raw crypto_pwhash_str_verify (worker pool)", rawRate, "verifies/s");

  const internalPort = await freePort();
  const service = await benchService({
    VESTIBULE_DATABASE_URL: db.url,
    VESTIBULE_HOMESERVER_MODE: "local",
    VESTIBULE_HOMESERVER_URL: "http://127.0.0.1:9",
    VESTIBULE_BOT_ENABLED: "false",
    VESTIBULE_INTERNAL_LISTEN: `127.0.0.1:${internalPort}`,
    VESTIBULE_INTERNAL_SECRET: SECRET,
  });
  const base = `http://127.0.0.1:${internalPort}`;
  const headers = { "content-type": "application/json", authorization: `Bearer ${SECRET}` };
  const post = async (path: string, body: unknown) => {
    const t = performance.now();
    const response = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    const json = (await response.json()) as Record<string, unknown>;
    return { ms: performance.now() - t, json, status: response.status };
  };
  try {
    // Warm the worker pool and the dummy hash.
    const sample = `@${first(12345)}.${last(12345)}12345:localhost`;
    await post("/_matrix-internal/identity/v1/check_credentials", {
      user: { id: sample, password: "right-password" },
    });
    for (const [label, password, user] of [
      ["right password", "right-password", sample],
      ["wrong password", "wrong-password", sample],
      ["unknown user", "right-password", "@nobody:localhost"],
    ] as const) {
      const result = await autocannon({
        url: `${base}/_matrix-internal/identity/v1/check_credentials`,
        method: "POST",
        headers,
        body: JSON.stringify({ user: { id: user, password } }),
        connections: 8,
        duration: 8,
      });
      ctx.print(`check_credentials, ${label}`, result.requests.average, "req/s");
      ctx.print(
        `  overhead beyond the hash (${label})`,
        `${((1 - result.requests.average / rawRate) * 100).toFixed(1)} %`,
        "",
        "< 10 %",
      );
    }

    // Warm-up (as for GET / in the web benchmark): the first calls of a code path run unoptimised, and the first
    // query of each shape is planned cold.
    for (let i = 0; i < 50; i++)
      await post("/_ma1sd/backend/api/v1/directory/user/search", {
        by: "name",
        search_term: last(i * 31).slice(0, 4),
      });
    // Collect the seeding's garbage in this (client) process now rather than in the middle of a timed request.
    (globalThis as { gc?: () => void }).gc?.();
    const searchTimes: number[] = [];
    const slowest: { term: string; ms: number; results: number }[] = [];
    for (let i = 0; i < 400; i++) {
      // What people type: the start of a first or last name, 3–6 letters.
      const n = (i * 7919) % ACCOUNTS;
      const term = (i % 2 === 0 ? first(n) : last(n)).slice(0, 3 + (i % 4));
      const { ms, json } = await post("/_ma1sd/backend/api/v1/directory/user/search", {
        by: "name",
        search_term: term,
      });
      if (!Array.isArray(json["results"])) throw new Error("bad directory answer");
      searchTimes.push(ms);
      slowest.push({ term, ms, results: (json["results"] as unknown[]).length });
    }
    ctx.print("directory search p50", percentile(searchTimes, 50), "ms");
    ctx.note(
      `  slowest: ${slowest
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 6)
        .map((s) => `"${s.term}" ${s.ms.toFixed(1)} ms (${s.results})`)
        .join(", ")}`,
    );
    ctx.print("directory search p99", percentile(searchTimes, 99), "ms", "< 10");

    const bulkTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const lookup = Array.from({ length: 1000 }, (_, j) => ({
        medium: "email",
        address: `user${(i * 1000 + j * 97) % ACCOUNTS}@example.org`,
      }));
      const { ms, json } = await post("/_ma1sd/backend/api/v1/identity/bulk", { lookup });
      if ((json["lookup"] as unknown[]).length !== 1000) throw new Error("bulk lookup lost entries");
      bulkTimes.push(ms);
    }
    ctx.print("identity bulk, 1,000 lookups, p50", percentile(bulkTimes, 50), "ms");
    ctx.print("identity bulk, 1,000 lookups, max", Math.max(...bulkTimes), "ms", "< 50");

    const singleTimes: number[] = [];
    for (let i = 0; i < 500; i++) {
      const { ms } = await post("/_ma1sd/backend/api/v1/identity/single", {
        lookup: { medium: "email", address: `user${(i * 131) % ACCOUNTS}@example.org` },
      });
      singleTimes.push(ms);
    }
    ctx.print("identity single p50", percentile(singleTimes, 50), "ms");
    ctx.print("identity single p99", percentile(singleTimes, 99), "ms", "< 5");
  } finally {
    await service.stop();
    await handle.close();
    await db.drop();
  }
}
