// vestibule bans …, spawned like an operator runs it, on the embedded database.
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
  const dir = await mkdtemp(join(tmpdir(), "vestibule-bans-"));
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("VESTIBULE_")),
  ) as Record<string, string>;
  env = { ...clean, VESTIBULE_DATA_DIR: dir, USER: "tester" };
});

async function bans(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, "bans", ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

it("adds, lists and removes bans of every kind", async () => {
  expect((await bans("add", "ip", "192.0.2.0/24", "--reason", "spam wave")).stdout).toMatch(
    /^added ban #\d+: ip 192\.0\.2\.0\/24/,
  );
  expect((await bans("add", "email", "Eve@Example.org", "--expires", "30d")).stdout).toContain(
    "email eve@example.org",
  );
  expect((await bans("add", "domain", "@spam.test")).stdout).toContain("domain spam.test");
  expect((await bans("add", "username", "^evil")).stdout).toContain("username ^evil");
  expect((await bans("add", "ip", "192.0.2.0/24", "--reason", "still spam")).stdout).toMatch(/^updated ban/);
  const list = await bans("list");
  expect(list.stdout).toContain("192.0.2.0/24  (permanent; by cli:tester)  still spam");
  expect(list.stdout).toMatch(/eve@example\.org {2}\(until 20\d\d-/);
  expect((await bans("remove", "email", "eve@example.org")).stdout).toBe("removed 1 ban\n");
  const id = /#(\d+)\s+domain/.exec(list.stdout)![1]!;
  expect((await bans("remove", id)).code).toBe(0);
  const after = await bans("list");
  expect(after.stdout).not.toContain("spam.test");
  expect(after.stdout).not.toContain("eve@example.org");
  expect((await bans("remove", "999")).code).toBe(1);
});

// Every kind of bad value is refused by the use case (test/cli/moderation.test.ts runs those in-process on both
// databases); here one of them and the argument shapes, through main's usage and exit code.
it("refuses bad input with a clear message and exit code 2", async () => {
  for (const args of [["add", "ip", "300.1.1.1"], ["add", "email"], ["remove"], ["frob"]]) {
    const result = await bans(...args);
    expect(result.code, args.join(" ")).toBe(2);
    expect(result.stderr).toContain("usage:");
  }
});
