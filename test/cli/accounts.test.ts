// vestibule accounts … against a real PostgreSQL database with local accounts in it.
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createPasswordHasher } from "../../src/crypto/index.ts";
import { openDatabase, type DatabaseHandle } from "../../src/db/database.ts";
import { createLocalAccount, findLocalAccount } from "../../src/db/local-account.repository.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { createScratchDatabase } from "../support/postgres.ts";

const run = promisify(execFile);
const main = resolve(import.meta.dirname, "../../src/main.ts");
let env: Record<string, string>;
let database: DatabaseHandle;
let drop: () => Promise<void>;

beforeAll(async () => {
  const scratch = await createScratchDatabase(inject("postgresUrl"));
  drop = () => scratch.drop();
  database = await openDatabase({ url: scratch.url, dataDir: null });
  await migrateToLatest(database.db);
  await createLocalAccount(database.db, {
    localpart: "ada",
    email: "ada@example.org",
    displayName: "Ada",
    passwordHash: null,
    requestId: null as unknown as number,
    now: new Date(),
  });
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("VESTIBULE_")),
  ) as Record<string, string>;
  env = {
    ...clean,
    VESTIBULE_DATABASE_URL: scratch.url,
    VESTIBULE_HOMESERVER_MODE: "local",
    VESTIBULE_ACCOUNTS_PWHASH_OPS_LIMIT: "1",
    VESTIBULE_ACCOUNTS_PWHASH_MEM_LIMIT: "65536",
  };
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

async function accounts(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, "accounts", ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

it("lists, disables, enables, and hands out a one-time password that verifies", async () => {
  expect((await accounts("list")).stdout).toMatch(/^ada\s+no password yet\s+Ada <ada@example\.org>/);
  expect((await accounts("disable", "@ada:localhost")).stdout).toContain("ada disabled");
  expect((await findLocalAccount(database.db, "ada"))?.disabledAt).not.toBeNull();
  expect((await accounts("list")).stdout).toContain("disabled");
  expect((await accounts("enable", "ada")).stdout).toContain("ada enabled");
  expect((await findLocalAccount(database.db, "ada"))?.disabledAt).toBeNull();
  const printed = await accounts("reset-password", "ada", "--print");
  const password = /one-time password for ada: (\S+)/.exec(printed.stdout)?.[1];
  expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
  const hasher = await createPasswordHasher({ opsLimit: 1, memLimit: 65536, threads: 1 });
  try {
    expect(await hasher.verify((await findLocalAccount(database.db, "ada"))!.passwordHash!, password!)).toBe(
      true,
    );
  } finally {
    await hasher.close();
  }
  const noRequest = await accounts("reset-password", "ada");
  expect(noRequest.code).toBe(1);
  expect(noRequest.stderr).toContain("use --print");
});

it("refuses unknown accounts and bad arguments", async () => {
  expect((await accounts("disable", "nobody")).code).toBe(1);
  for (const args of [["frob"], ["disable"], ["list", "--limit", "many"], ["enable", "a", "b"]]) {
    const result = await accounts(...args);
    expect(result.code, args.join(" ")).toBe(2);
  }
});
