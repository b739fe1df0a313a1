// What the benchmarks share: a PostgreSQL database, the service as a separate process (so the load generator and
// the service each get a core), latency percentiles.
import type { Request } from "autocannon";
import { ensurePostgres, createScratchDatabase } from "../test/support/postgres.ts";
import { spawnService, type ServiceProcess } from "../test/support/process.ts";

export async function scratchPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  return createScratchDatabase(await ensurePostgres(), "vestibule_bench");
}

export async function benchService(
  env: Record<string, string>,
  roles?: string,
  readyWhen?: (output: string) => boolean,
): Promise<ServiceProcess> {
  // BENCH_SERVICE_NODE_OPTIONS: extra Node/V8 flags for the service process only (e.g. to compare heap limits).
  const nodeOptions = process.env["BENCH_SERVICE_NODE_OPTIONS"];
  return spawnService(
    { VESTIBULE_LOG_LEVEL: "warn", ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...env },
    { ...(roles ? { roles } : {}), ...(readyWhen ? { readyWhen } : {}) },
  );
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Reads the anti-forgery cookie and form value once; both are reusable for a whole run. */
export async function csrfPair(base: string): Promise<{ cookie: string; token: string }> {
  const response = await fetch(`${base}/`);
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .join("; ");
  const token = /name="_csrf" value="([^"]+)"/.exec(await response.text())![1]!;
  return { cookie, token };
}

/**
 * One autocannon request definition for POST /register where every request is a distinct valid applicant
 * (`<prefix><n>` as username, `<prefix><n>@example.org` as email). `accepted` collects the usernames answered 303;
 * `refused` counts every other answer.
 */
export function distinctSignups(options: {
  prefix: string;
  csrf: { cookie: string; token: string };
  firstName: string;
  lastName: string;
}): { request: Request; accepted: string[]; refused(): number } {
  let n = 0;
  let refused = 0;
  const accepted: string[] = [];
  const request: Request = {
    method: "POST",
    path: "/register",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: options.csrf.cookie },
    setupRequest: (req, context: object) => {
      const id = `${options.prefix}${(n++).toString(36)}`;
      (context as Record<string, string>)["id"] = id;
      return {
        ...req,
        body: new URLSearchParams({
          _csrf: options.csrf.token,
          username: id,
          email: `${id}@example.org`,
          first_name: options.firstName,
          last_name: options.lastName,
          note: "",
        }).toString(),
      };
    },
    onResponse: (status: number, _body: string, context: object) => {
      const id = (context as Record<string, string>)["id"];
      if (status === 303 && id) accepted.push(id);
      else refused++;
    },
  };
  return { request, accepted, refused: () => refused };
}

/** The environment of a sign-up benchmark: PostgreSQL, no homeserver or bot, mail to the sink, limits out of the way. */
export function signupBenchEnv(databaseUrl: string, smtpPort: number): Record<string, string> {
  return {
    VESTIBULE_DATABASE_URL: databaseUrl,
    VESTIBULE_HOMESERVER_URL: "http://127.0.0.1:9",
    VESTIBULE_BOT_ENABLED: "false",
    VESTIBULE_MAIL_SMTP_HOST: "127.0.0.1",
    VESTIBULE_MAIL_SMTP_PORT: String(smtpPort),
    VESTIBULE_MAIL_SMTP_STARTTLS: "false",
    VESTIBULE_WEB_RATE_LIMITS_REGISTER_POINTS: "10000000",
    VESTIBULE_REGISTRATION_EMAIL_COOLDOWN_SECONDS: "0",
    VESTIBULE_REGISTRATION_REQUIRE_REASON: "false",
  };
}
