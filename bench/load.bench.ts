// Issue 7 target, on PostgreSQL with the jobs role running in the same process as the web role: a sustained 200
// sign-ups per second for 60 s. Prints the POST /register latency (p50/p99), the outbox lag — from the commit that
// queued a verification email (outbox.created_at) to that email's data arriving in the SMTP sink — at p50/p99/max
// (target p99 < 2 s), and checks that every accepted sign-up got exactly one email: zero lost, zero duplicated.
import autocannon from "autocannon";
import { openDatabase } from "../src/db/database.ts";
import { startSmtpSink } from "../test/support/smtp-sink.ts";
import type { BenchContext } from "./run.ts";
import {
  benchService,
  csrfPair,
  distinctSignups,
  percentile,
  scratchPostgres,
  signupBenchEnv,
} from "./support.ts";

const RATE = Number(process.env["BENCH_LOAD_RATE"] ?? 200);
const SECONDS = Number(process.env["BENCH_LOAD_SECONDS"] ?? 60);

export default async function load(ctx: BenchContext): Promise<void> {
  const db = await scratchPostgres();
  const sink = await startSmtpSink();
  const service = await benchService(signupBenchEnv(db.url, sink.port), "web,jobs");
  const handle = await openDatabase({ url: db.url, dataDir: null });
  try {
    const signups = distinctSignups({
      prefix: `l${Date.now().toString(36)}`,
      csrf: await csrfPair(service.url),
      firstName: "Load",
      lastName: "Test",
    });
    const { accepted } = signups;
    const result = await autocannon({
      url: service.url,
      connections: 50,
      overallRate: RATE,
      duration: SECONDS,
      requests: [signups.request],
    });
    ctx.print("offered rate", RATE, "sign-ups/s");
    ctx.print("achieved rate (accepted / duration)", accepted.length / SECONDS, "sign-ups/s", `${RATE}`);
    ctx.print("POST /register latency p50", result.latency.p50, "ms");
    ctx.print("POST /register latency p99", result.latency.p99, "ms");
    ctx.print(
      "answers other than 303, and errors",
      signups.refused() + result.errors + result.timeouts,
      "",
      "0",
    );

    // Let the outbox drain; then match each accepted sign-up to its email.
    await sink.waitForCount(accepted.length, { timeoutMs: 120_000 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2_000));
    const queued = await handle.db
      .selectFrom("outbox")
      .innerJoin("registration_request", "registration_request.id", "outbox.request_id")
      .select(["registration_request.email", "outbox.created_at"])
      .where("outbox.kind", "=", "email")
      .execute();
    const queuedAt = new Map(queued.map((row) => [row.email, new Date(row.created_at).getTime()]));
    const received = new Map<string, number[]>();
    for (const message of sink.messages)
      for (const to of message.to) received.set(to, [...(received.get(to) ?? []), message.receivedAt]);

    const lags: number[] = [];
    let lost = 0;
    for (const id of accepted) {
      const address = `${id}@example.org`;
      const times = received.get(address);
      const committed = queuedAt.get(address);
      if (!times) {
        lost++;
        continue;
      }
      if (committed !== undefined) lags.push(times[0]! - committed);
    }
    const duplicated = [...received.values()].filter((times) => times.length > 1).length;
    ctx.print("outbox lag p50 (commit → email in sink)", percentile(lags, 50), "ms");
    ctx.print("outbox lag p99 (commit → email in sink)", percentile(lags, 99), "ms", "< 2,000");
    ctx.print("outbox lag max", Math.max(...lags), "ms");
    ctx.print("accepted sign-ups checked", accepted.length, "");
    ctx.print("emails lost", lost, "", "0");
    ctx.print("emails duplicated", duplicated, "", "0");
  } finally {
    await handle.close();
    await service.stop();
    await sink.stop();
    await db.drop();
  }
}
