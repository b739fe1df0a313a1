// The CLI's composition point: what one-shot commands need — the moderation use cases, the registration store, the
// local accounts and the retention job over the (migrated) database, plus the homeserver client — built here and
// closed when the command is done. Commands import nothing from src/db; this file is the only CLI file that does.
import type { Config } from "../config/index.ts";
import { openDatabase, type Db } from "../db/database.ts";
import {
  findLocalAccount,
  listLocalAccounts,
  setLocalAccountDisabled,
  setLocalPassword,
  type LocalAccount,
} from "../db/local-account.repository.ts";
import { migrateToLatest, type MigrationReport } from "../db/migrate.ts";
import { createModerationStores } from "../db/moderation.stores.ts";
import { createRegistrationStore } from "../db/registration.store.ts";
import type { RetentionSummary } from "../db/retention.repository.ts";
import { homeserverClientFor, type HomeserverClient } from "../homeserver/index.ts";
import { moderatorRoomReaderFor } from "../homeserver/moderator-room.ts";
import { cleanup } from "../jobs/cleanup.ts";
import { assembleModerationDeps, type ModerationDeps } from "../moderation/index.ts";
import { createModeratorRights } from "../moderation/rights.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import type { CommandContext } from "./command.ts";

/** Local-mode accounts, as `vestibule accounts` manages them. */
export interface LocalAccountAdmin {
  list(options: { limit: number; offset: number }): Promise<LocalAccount[]>;
  find(localpart: string): Promise<LocalAccount | null>;
  setDisabled(localpart: string, disabled: boolean, now: Date): Promise<boolean>;
  setPasswordHash(localpart: string, hash: string, now: Date): Promise<boolean>;
}

export interface CliDeps {
  moderation: ModerationDeps;
  store: RegistrationStore;
  homeserver: HomeserverClient;
  localAccounts: LocalAccountAdmin;
  /** One run of the retention job. */
  cleanup(now: Date, options: { dryRun: boolean }): Promise<RetentionSummary>;
}

/** Opens the deps of one command; `close()` releases the database. Tests pass their own (CommandContext.openDeps). */
export type OpenCliDeps = (config: Config) => Promise<CliDeps & { close(): Promise<void> }>;

export const openCliDeps: OpenCliDeps = async (config) => {
  const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  return { ...cliDepsFor(config, database.db), close: () => database.close() };
};

/** The deps over an open, migrated database (openCliDeps, and tests that hold their database open). */
export function cliDepsFor(config: Config, db: Db): CliDeps {
  const clock = () => new Date();
  const homeserver = homeserverClientFor(config.homeserver);
  const store = createRegistrationStore(db);
  const room = moderatorRoomReaderFor(config);
  return {
    moderation: assembleModerationDeps({
      config,
      stores: createModerationStores(db),
      homeserver: homeserver.hasAdminToken ? homeserver : null,
      store,
      // The CLI acts as the operator and checks nobody's rights; this is there for completeness of the deps.
      rights: createModeratorRights({
        reader: room.reader,
        ...(room.missing ? { missingReader: room.missing } : {}),
        moderatorPowerLevel: config.bot.moderatorPowerLevel,
        cacheMs: 0,
        clock,
      }),
      clock,
    }),
    store,
    homeserver,
    localAccounts: {
      list: (options) => listLocalAccounts(db, options),
      find: (localpart) => findLocalAccount(db, localpart),
      setDisabled: (localpart, disabled, now) => setLocalAccountDisabled(db, localpart, disabled, now),
      setPasswordHash: (localpart, hash, now) => setLocalPassword(db, localpart, hash, now),
    },
    cleanup: (now, options) => cleanup({ db, retention: config.registration.retention }, now, options),
  };
}

/** Runs `work` with the command's deps and closes them afterwards, whatever happens. */
export async function withCliDeps<T>(
  ctx: Pick<CommandContext, "config" | "openDeps">,
  work: (deps: CliDeps) => Promise<T>,
): Promise<T> {
  const deps = await (ctx.openDeps ?? openCliDeps)(ctx.config);
  try {
    return await work(deps);
  } finally {
    await deps.close();
  }
}

/** `vestibule migrate`: brings the schema up to date and says what it applied. */
export async function migrateDatabase(config: Config): Promise<MigrationReport> {
  const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir });
  try {
    return await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
}

/** Who runs a CLI command, for audit rows: the login name when known. */
export function cliActorName(env: Readonly<Record<string, string | undefined>>): string {
  return env["SUDO_USER"] ?? env["USER"] ?? env["LOGNAME"] ?? "operator";
}
