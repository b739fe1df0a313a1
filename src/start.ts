// The composition root: builds every part from the config, in a fixed order (config → logger → homeserver client →
// web port with a start-up answer → database + migrations → mail → web site and internal API → jobs → bot), and
// returns { stop() }, which takes them down in reverse. Production (`vestibule serve`) and the end-to-end tests call
// this same function.
import type { IncomingMessage } from "node:http";
import { availableParallelism, hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { envNameFor, type Config } from "./config/index.ts";
import { openDatabase, pingDatabase, type DatabaseHandle } from "./db/database.ts";
import { migrateToLatest } from "./db/migrate.ts";
import { createRegistrationStore } from "./db/registration.store.ts";
import { releaseAllOutboxClaims, releaseClaimsOfDeadProcesses } from "./db/outbox.repository.ts";
import { createHealth, type Health } from "./health.ts";
import { createLogger, type Logger } from "./logger.ts";
import type { RegistrationStore } from "./registration/ports.ts";
import { createOutboxWorker, wakeOnNotify, type OutboxHandlers, type OutboxWorker } from "./outbox/worker.ts";
import { monitoringAudience, publicHealth, type MonitoringRequest } from "./web/monitoring.ts";
import { listen, type Listener } from "./web/listen.ts";
import { homeserverClientFor, type HomeserverClient } from "./homeserver/index.ts";
import type { Mailer } from "./mail/transport.ts";
import { createDeleteTokenHandler, createProvisionHandler } from "./homeserver/provision.ts";
import {
  createPasswordHasher,
  createSecretBox,
  type PasswordHasher,
  type SecretBox,
} from "./crypto/index.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { startScheduler, type ScheduledJob } from "./jobs/schedule.ts";
import { cleanup } from "./jobs/cleanup.ts";
import { currentRotatingToken, rotateToken } from "./jobs/rotate-token.ts";
import { remindPending } from "./jobs/reminders.ts";
import type { BotRole } from "./bot/bot.ts";
import { createLocalProvisioner } from "./internal/local-provisioner.ts";
import { createModerationStores } from "./db/moderation.stores.ts";
import { moderatorRoomReaderFor } from "./homeserver/moderator-room.ts";
import { assembleModerationDeps, type ModerationDeps } from "./moderation/index.ts";
import { createModeratorRights } from "./moderation/rights.ts";

/** The web port's answer until the site is ready: /healthz with what is known so far (503), else "starting". */
function startingUp(
  health: Health,
  inAudience: (request: MonitoringRequest) => boolean,
): (request: Request, env?: unknown) => Response {
  return (request, env) => {
    const headers = { "retry-after": "2", "cache-control": "no-store" };
    if (new URL(request.url).pathname === "/healthz") {
      const snapshot = { ...health.snapshot(), status: "starting" };
      const detailed = inAudience({
        // @hono/node-server passes the Node request as env.incoming.
        peer: (env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? "",
        forwardedFor: request.headers.get("x-forwarded-for") ?? undefined,
        authorization: request.headers.get("authorization") ?? undefined,
      });
      return Response.json(detailed ? snapshot : publicHealth(snapshot), { status: 503, headers });
    }
    return new Response("Vestibule is starting; try again in a moment.\n", {
      status: 503,
      headers: { ...headers, "content-type": "text/plain; charset=utf-8" },
    });
  };
}

/** Whether a process with this pid runs on this machine (signal 0 only checks). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export type Role = "web" | "internal" | "bot" | "jobs";
export const allRoles: readonly Role[] = ["web", "internal", "bot", "jobs"];

export interface StartOptions {
  /** Which roles this process runs (default: all). */
  roles?: readonly Role[];
  /** Tests pass their own (quiet) logger. */
  logger?: Logger;
  /** Tests pass a fixed or controllable clock. */
  clock?: () => Date;
}

/** Everything the adapters (web, internal, bot, jobs) may depend on. Each takes only what it needs. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  store: RegistrationStore;
  health: Health;
  clock: () => Date;
  /** Unique per process; used in outbox claims and the bot lock. */
  instanceId: string;
  homeserver: HomeserverClient;
  /** Present when secrets.key is configured and this process seals or opens secrets (roles web and jobs). */
  secretBox: SecretBox | undefined;
  metrics: Metrics;
  /** argon2id worker pool, started on first use (local mode, set-password in local mode). */
  passwordHasher: () => Promise<PasswordHasher>;
  /** The moderation use cases' deps (bans, invitations, permissions, portal sessions, decisions, rights). */
  moderation: ModerationDeps;
}

export interface Service {
  deps: AppDeps;
  roles: readonly Role[];
  web: Listener | undefined;
  internal: Listener | undefined;
  outbox: OutboxWorker | undefined;
  bot: BotRole | undefined;
  /** Stops everything in reverse start order; `reason` (e.g. "SIGTERM") goes into the log line. */
  stop(reason?: string): Promise<void>;
}

/** "0.0.0.0:8080 (all IPv4 interfaces)": the wildcard addresses are what operators most often misread. */
function describeAddress(address: string): string {
  if (address.startsWith("0.0.0.0:")) return `${address} (all IPv4 interfaces)`;
  if (address.startsWith("[::]:")) return `${address} (all interfaces)`;
  return address;
}

/** The bot's, jobs' and homeserver's state as "status (detail)", for the start and stop lines. */
function componentStates(health: Health): Record<string, string> {
  const states: Record<string, string> = {};
  for (const name of ["bot", "jobs", "homeserver", "mail"] as const) {
    const state = health.get(name);
    if (state) states[name] = state.detail ? `${state.status} (${state.detail})` : state.status;
  }
  return states;
}

/** The config key and variable behind a listener, so that a taken port names what to change. */
function listenSetting(section: "web" | "internal") {
  return { key: `${section}.listen`, envName: envNameFor([section, "listen"]) };
}

export async function start(config: Config, options: StartOptions = {}): Promise<Service> {
  const roles = options.roles ?? allRoles;
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const health = createHealth(clock);
  health.onChange((component, now, previous) => {
    const line = { component, status: now.status, detail: now.detail };
    if (now.status === "ok" || now.status === "disabled") logger.info(line, `${component}: ${now.status}`);
    else if (previous || now.status !== "degraded")
      logger.warn(line, `${component}: ${now.status}${now.detail ? ` (${now.detail})` : ""}`);
  });

  // Everything started so far, stopped in reverse order by stop() (also when start-up fails half-way).
  const stack: { name: string; stop: () => void | Promise<void> }[] = [];
  const stopAll = async () => {
    for (const item of stack.reverse()) {
      try {
        await item.stop();
      } catch (error) {
        logger.warn({ err: error, component: item.name }, "error while stopping");
      }
    }
    stack.length = 0;
  };

  try {
    // Homeserver client. An unreachable homeserver is not fatal: the service starts, says so, and keeps checking.
    const homeserver = homeserverClientFor(config.homeserver);
    const checkHomeserver = async () => {
      const result = await homeserver.checkHealth();
      if (result.ok)
        health.report("homeserver", "ok", result.version ? `Synapse ${result.version}` : undefined);
      else health.report("homeserver", "down", `${config.homeserver.url}: ${result.error}`);
    };
    health.report("homeserver", "degraded", "checking");
    void checkHomeserver();
    const homeserverProbe = setInterval(() => void checkHomeserver(), 15_000);
    homeserverProbe.unref();
    stack.push({ name: "homeserver probe", stop: () => clearInterval(homeserverProbe) });

    // The web port answers from the start: while the database opens (a first start of the embedded database
    // takes a few seconds) /healthz reports what is known so far with 503, and pages ask to retry shortly.
    let web: Listener | undefined;
    if (roles.includes("web")) {
      web = await listen(
        { fetch: startingUp(health, monitoringAudience(config.web)) },
        config.web.listen,
        listenSetting("web"),
      );
      const listener = web;
      stack.push({ name: "web", stop: () => listener.close() });
    }

    // Database + migrations.
    health.report("database", "degraded", "opening");
    const database = await openDatabase({
      url: config.database.url,
      dataDir: config.dataDir,
      poolSize: config.database.poolSize,
      onConnectionError: (error) => {
        health.report("database", "degraded", `connection lost: ${error.message}`);
      },
    });
    stack.push({ name: "database", stop: () => database.close() });
    const migration = await migrateToLatest(database.db);
    if (migration.applied.length > 0) logger.info({ applied: migration.applied }, "database migrated");
    health.report("database", "ok", database.kind === "pglite" ? "embedded PGlite" : "PostgreSQL");
    if (database.kind === "pglite") await releaseAllOutboxClaims(database.db);
    else {
      const released = await releaseClaimsOfDeadProcesses(database.db, hostname(), processAlive);
      if (released > 0)
        logger.info({ released }, "picked up outbox rows left by a crashed process on this host");
    }

    let outbox: OutboxWorker | undefined;
    // Every outbox worker in this process (jobs, bot) hears about new rows right after the commit that made them.
    const outboxListeners = new Set<() => void>();
    const onOutboxRows = (listener: () => void) => {
      outboxListeners.add(listener);
      return () => outboxListeners.delete(listener);
    };
    const store = createRegistrationStore(database.db, () => {
      for (const listener of outboxListeners) listener();
    });

    // Mail (SMTP, or .eml files under dataDir/mail) is sent by the jobs role only. Role modules are imported only
    // where their role runs: a bot-only process never loads the web stack, nodemailer or libsodium.
    let mailer: Mailer | undefined;
    if (roles.includes("jobs")) {
      const { createMailer } = await import("./mail/transport.ts");
      const created = createMailer(
        { from: config.mail.from, smtp: config.mail.smtp, dataDir: config.dataDir },
        logger,
      );
      mailer = created;
      stack.push({ name: "mail", stop: () => created.close() });
      void created.verify().then((result) => {
        if (result.ok) health.report("mail", config.mail.smtp ? "ok" : "degraded", created.describe());
        else health.report("mail", "down", `${created.describe()}: ${result.error}`);
      });
    } else {
      health.report("mail", "disabled", "role not running here");
    }

    const needsSecretBox = roles.includes("web") || roles.includes("jobs");
    const secretBox =
      config.secrets.key && needsSecretBox ? await createSecretBox(config.secrets.key) : undefined;
    const metrics = createMetrics({ db: database.db, health });
    let hasher: Promise<PasswordHasher> | undefined;
    const passwordHasher = () => (hasher ??= createPasswordHasher(config.accounts.pwhash));
    stack.push({ name: "password hasher", stop: async () => (hasher ? (await hasher).close() : undefined) });

    // The moderation core, shared by the portal and the bot. Rights are read from the moderators' room with the
    // bot's token (or the admin token), cached for portal.rightsCacheSeconds; the bot's sync invalidates them.
    const roomReader = moderatorRoomReaderFor(config);
    const rights = createModeratorRights({
      reader: roomReader.reader,
      ...(roomReader.missing ? { missingReader: roomReader.missing } : {}),
      moderatorPowerLevel: config.bot.moderatorPowerLevel,
      cacheMs: config.portal.rightsCacheSeconds * 1000,
      clock,
    });
    const moderation = assembleModerationDeps({
      config,
      stores: createModerationStores(database.db),
      homeserver: homeserver.hasAdminToken ? homeserver : null,
      store,
      rights,
      clock,
    });

    const deps: AppDeps = {
      config,
      logger,
      database,
      store,
      health,
      clock,
      instanceId,
      homeserver,
      secretBox,
      metrics,
      passwordHasher,
      moderation,
    };

    // A cheap database probe keeps /healthz honest when PostgreSQL goes away and comes back.
    const probe = setInterval(() => {
      void pingDatabase(database.db).then((ok) =>
        health.report(
          "database",
          ok ? "ok" : "down",
          ok ? (database.kind === "pglite" ? "embedded PGlite" : "PostgreSQL") : "not answering",
        ),
      );
    }, 5_000);
    probe.unref();
    stack.push({ name: "database probe", stop: () => clearInterval(probe) });

    // HTTP listeners.
    if (web) {
      const { createWebApp } = await import("./web/app.ts");
      web.use(createWebApp(deps));
      logger.info({ address: web.address }, `web listening on ${describeAddress(web.address)}`);
    }
    let internal: Listener | undefined;
    if (roles.includes("internal")) {
      const { createInternalApp } = await import("./internal/app.ts");
      const app = createInternalApp({
        config,
        db: database.db,
        hasher: passwordHasher,
        homeserver,
        logger,
        clock,
        hashingThreads: availableParallelism(),
        onLoginVerdict: (verdict) => metrics.loginChecks.inc({ verdict }),
      });
      internal = await listen(app, config.internal.listen, listenSetting("internal"));
      const listener = internal;
      stack.push({ name: "internal", stop: () => listener.close() });
      logger.info(
        { address: internal.address },
        `internal API listening on ${describeAddress(internal.address)}`,
      );
    }

    // Jobs: the outbox worker for the side effects this process can carry out, and the scheduled jobs. (The mailer
    // exists exactly when the jobs role runs here.)
    if (mailer) {
      const { createEmailHandler } = await import("./mail/email.handler.ts");
      const handlers: OutboxHandlers = {
        email: createEmailHandler({
          db: database.db,
          mailer,
          secretBox,
          config,
          onResult: (result) => metrics.emails.inc({ result }),
          ...(config.registration.rotatingToken
            ? {
                rotatingToken: (now: Date) =>
                  currentRotatingToken(database.db, config.registration.rotatingToken!, now),
              }
            : {}),
        }),
        provision: createProvisionHandler({
          config,
          database,
          store,
          homeserver,
          secretBox,
          logger,
          clock,
          localAccounts: createLocalProvisioner({ db: database.db, hasher: passwordHasher }),
          onFailure: (reason) => metrics.provisioningFailures.inc({ reason }),
        }),
        "homeserver.delete_token": createDeleteTokenHandler({ database, homeserver, clock }),
      };
      outbox = createOutboxWorker({
        db: database.db,
        handlers,
        // This worker also buries rows of kinds nobody handles, so a misspelt kind is reported, not left lying.
        buryUnknownKinds: true,
        logger,
        owner: instanceId,
        clock,
        leaseMs: config.jobs.leaseSeconds * 1000,
        backoff: { baseMs: config.jobs.retryBaseSeconds * 1000, maxMs: config.jobs.retryMaxSeconds * 1000 },
        onOutcome: (kind, outcome) => metrics.outboxProcessed.inc({ kind, outcome }),
        onInvalid: (kind, reason) => metrics.outboxInvalid.inc({ kind, reason }),
      });
      const worker = outbox;
      const unsubscribe = onOutboxRows(() => worker.wake());
      stack.push({ name: "outbox", stop: () => (unsubscribe(), worker.stop()) });
      const unlisten = await wakeOnNotify(database, worker);
      stack.push({ name: "outbox listener", stop: unlisten });
      worker.wake();
      const jobs: ScheduledJob[] = [
        { name: "outbox", cron: config.jobs.outbox, run: (now) => worker.drain(now) },
        {
          name: "cleanup",
          cron: config.jobs.cleanup,
          run: (now) => cleanup({ db: database.db, retention: config.registration.retention }, now),
        },
        {
          name: "reminders",
          cron: config.jobs.reminders,
          run: (now) => remindPending({ db: database.db, afterHours: config.bot.reminderAfterHours }, now),
        },
      ];
      const rotating = config.registration.rotatingToken;
      if (rotating) {
        // Checked every minute, so the file changes within a minute of the configured time.
        jobs.push({
          name: "rotate-token",
          cron: "* * * * *",
          run: (now) => rotateToken({ db: database.db, settings: rotating }, now),
        });
      }
      const scheduler = startScheduler(jobs, logger, clock);
      stack.push({ name: "scheduler", stop: () => scheduler.stop() });
      if (rotating) await scheduler.runNow("rotate-token");
      health.report("jobs", "ok");
    } else {
      health.report("jobs", "disabled", "role not running here");
    }

    // Bot: runs where it holds the bot lock; the others stand by.
    let bot: BotRole | undefined;
    if (roles.includes("bot")) {
      const { startBotRole } = await import("./bot/bot.ts");
      const { createBotStore } = await import("./db/bot-state.store.ts");
      bot = startBotRole({
        config,
        logger,
        database,
        state: createBotStore(database.db),
        health,
        clock,
        instanceId,
        moderation,
        metrics: metrics.registry,
        onOutboxRows,
        // The bot reports changes of the moderators' room's power levels and members: cached rights end at once.
        onModeratorRoomChange: () => rights.invalidate(),
      });
      const role = bot;
      stack.push({ name: "bot", stop: () => role.stop() });
    } else {
      health.report("bot", "disabled", "role not running here");
    }

    // One line that says what this process runs, and the same picture when it stops (with why).
    const running = () => ({
      roles,
      database: database.kind,
      web: web?.address,
      internal: internal?.address,
      ...componentStates(health),
    });
    logger.info(running(), `vestibule started (${roles.join(", ")}; ${database.kind})`);
    return {
      deps,
      roles,
      web,
      internal,
      outbox,
      bot,
      async stop(reason) {
        logger.info({ ...running(), reason }, `stopping vestibule${reason ? ` (${reason})` : ""}`);
        await stopAll();
        logger.info("vestibule stopped");
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
