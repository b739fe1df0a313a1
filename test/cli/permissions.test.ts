// vestibule permissions … and portal …, spawned like an operator runs them (main.ts, option parsing, exit codes),
// on the embedded database. Their behaviour on both databases is in moderation.test.ts.
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { beforeAll, expect, it } from "vitest";

const run = promisify(execFile);
const main = resolve(import.meta.dirname, "../../src/main.ts");
let env: Record<string, string>;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "vestibule-permissions-"));
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("VESTIBULE_")),
  ) as Record<string, string>;
  env = {
    ...clean,
    VESTIBULE_DATA_DIR: dir,
    VESTIBULE_PUBLIC_URL: "https://join.example.org",
    USER: "tester",
  };
});

async function vestibule(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

it("permissions allow and list, through main", async () => {
  expect(await vestibule("permissions", "allow", "@carol:example.org")).toMatchObject({
    code: 0,
    stdout: "@carol:example.org may now manage registration tokens\n",
  });
  const list = await vestibule("permissions", "list");
  expect(list.stdout).toMatch(/^@carol:example\.org\s+tokens {2}by cli:tester \d{4}-/);
  const refused = await vestibule("permissions", "allow", "carol");
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain("is not a user ID");
  expect(refused.stderr).toContain("usage:");
});

it("portal link and sessions, through main", async () => {
  const link = await vestibule("portal", "link", "--as", "@ops:example.org");
  expect(link.code, link.stderr).toBe(0);
  expect(link.stdout).toMatch(/^https:\/\/join\.example\.org\/admin\/login\/[A-Za-z0-9_-]{43}\n/);
  expect(await vestibule("portal", "sessions", "list")).toMatchObject({
    code: 0,
    stdout: "no portal sessions\n",
  });
  expect((await vestibule("portal", "sessions", "revoke", "--user", "nobody")).code).toBe(2);
});
