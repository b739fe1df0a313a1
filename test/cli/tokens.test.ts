// vestibule tokens … against the real Synapse, with the bookkeeping on each database.
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSynapseClient } from "../../src/homeserver/index.ts";
import { createScratchDatabase } from "../support/postgres.ts";
import { databaseKinds } from "../support/database.ts";

const run = promisify(execFile);
const main = resolve(import.meta.dirname, "../../src/main.ts");
const synapse = inject("synapse");

for (const kind of databaseKinds) {
  describe(`vestibule tokens [${kind}]`, () => {
    let env: Record<string, string>;
    let dir: string;
    let drop: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "vestibule-tokens-"));
      const cleanEnv = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("VESTIBULE_")),
      ) as Record<string, string>;
      env = {
        ...cleanEnv,
        VESTIBULE_DATA_DIR: dir,
        VESTIBULE_PUBLIC_URL: "https://join.example.org",
        VESTIBULE_HOMESERVER_URL: synapse.url,
        VESTIBULE_HOMESERVER_ADMIN_TOKEN: synapse.adminToken,
        USER: "tester",
      };
      if (kind === "postgres") {
        const scratch = await createScratchDatabase(inject("postgresUrl"));
        env["VESTIBULE_DATABASE_URL"] = scratch.url;
        drop = () => scratch.drop();
      }
    });
    afterAll(async () => {
      await drop?.();
    });

    async function vestibule(args: string[]) {
      try {
        const { stdout, stderr } = await run(process.execPath, [main, "tokens", ...args], { cwd: dir, env });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    }

    it("creates a token with an invite link, lists and shows it with its creator, and deletes it", async () => {
      const created = await vestibule([
        "create",
        "--uses",
        "3",
        "--expires",
        "2d",
        "--note",
        "for the book club",
      ]);
      expect(created.code).toBe(0);
      const token = created.stdout.split(/\s+/)[0]!;
      expect(token).toMatch(/^[A-Za-z0-9._~-]{16}$/);
      expect(created.stdout).toContain(`invite link: https://join.example.org/invite/${token}`);
      expect(created.stdout).toContain("0/3 used");
      expect(created.stdout).toContain("created by cli:tester: for the book club");

      const onHomeserver = await createSynapseClient({
        url: synapse.url,
        serverName: "localhost",
        adminToken: synapse.adminToken,
      }).getRegistrationToken(token);
      expect(onHomeserver?.usesAllowed).toBe(3);
      expect(onHomeserver!.expiryTime! - Date.now()).toBeGreaterThan(47 * 3_600_000);

      const list = await vestibule(["list"]);
      expect(list.stdout).toContain(token);
      const shown = await vestibule(["show", token]);
      expect(shown.stdout).toContain("created by cli:tester");

      const deleted = await vestibule(["delete", token]);
      expect(deleted).toMatchObject({ code: 0, stdout: `deleted ${token}\n` });
      const gone = await vestibule(["show", token]);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain("no such registration token");
    });

    it("refuses bad arguments with usage and exit code 2", async () => {
      // Bad values are refused by the use case (in-process in test/cli/moderation.test.ts and
      // test/moderation/tokens.test.ts); here one of them and the argument shapes, through main.
      for (const args of [["create", "--uses", "0"], ["frob"], ["show"], ["delete", "a b"]]) {
        const result = await vestibule(args);
        expect(result.code, args.join(" ")).toBe(2);
        expect(result.stderr).toContain("usage:");
      }
    });
  });
}
