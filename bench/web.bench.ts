// Issue 3 targets, on PostgreSQL: GET / ≥ 5,000 req/s with p99 ≤ 20 ms; POST /register with distinct valid
// applicants ≥ 300 req/s, and afterwards every 2xx answer has exactly one request row and one verification email.
import autocannon from "autocannon";
import { openDatabase } from "../src/db/database.ts";
import { startSmtpSink } from "../test/support/smtp-sink.ts";
import type { BenchContext } from "./run.ts";
import { benchService, csrfPair, distinctSignups, scratchPostgres, signupBenchEnv } from "./support.ts";

export default async function web(ctx: BenchContext): Promise<void> {
  const db = await scratchPostgres();
  const sink = await startSmtpSink();
  const service = await benchService(signupBenchEnv(db.url, sink.port));
  try {
    // Warm up, then measure GET /.
    await autocannon({ url: `${service.url}/`, connections: 20, duration: 3 });
    const get = await autocannon({ url: `${service.url}/`, connections: 50, duration: 10 });
    ctx.print("GET / throughput", get.requests.average, "req/s", "≥ 5,000");
    ctx.print("GET / latency p50", get.latency.p50, "ms");
    ctx.print("GET / latency p99", get.latency.p99, "ms", "≤ 20");
    ctx.print("GET / non-2xx answers", get.non2xx, "");

    const signups = distinctSignups({
      prefix: `b${Date.now().toString(36)}`,
      csrf: await csrfPair(service.url),
      firstName: "Bench",
      lastName: "Mark",
    });
    const acceptedIds = signups.accepted;
    const post = await autocannon({
      url: service.url,
      connections: 20,
      duration: 10,
      requests: [signups.request],
    });
    ctx.print("POST /register throughput", post.requests.average, "req/s", "≥ 300");
    ctx.print("POST /register latency p99", post.latency.p99, "ms");
    ctx.print("POST /register answers other than 303", post.non2xx - post["3xx"], "");

    // Every accepted applicant: one row, one verification email.
    const handle = await openDatabase({ url: db.url, dataDir: null });
    try {
      const rows = await handle.db
        .selectFrom("registration_request")
        .select(["localpart", "email"])
        .execute();
      await sink.waitForCount(rows.length, { timeoutMs: 120_000 });
      await new Promise((r) => setTimeout(r, 2_000));
      const rowsByName = new Map<string, number>();
      for (const r of rows) rowsByName.set(r.localpart, (rowsByName.get(r.localpart) ?? 0) + 1);
      const perAddress = new Map<string, number>();
      for (const m of sink.messages) for (const to of m.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
      // Requests still in flight when the run stopped may have rows too; every 303 must have exactly one.
      ctx.print("303 answers checked", acceptedIds.length, "");
      ctx.print(
        "303 answers without exactly one row",
        acceptedIds.filter((id) => rowsByName.get(id) !== 1).length,
        "",
        "0",
      );
      ctx.print(
        "verification emails lost",
        acceptedIds.filter((id) => !perAddress.has(`${id}@example.org`)).length,
        "",
        "0",
      );
      ctx.print(
        "verification emails duplicated",
        [...perAddress.values()].filter((c) => c > 1).length,
        "",
        "0",
      );
    } finally {
      await handle.close();
    }
  } finally {
    await service.stop();
    await sink.stop();
    await db.drop();
  }
}
