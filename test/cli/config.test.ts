// The CLI as an operator meets it: spawned with Node, config from files and the environment.
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const main = resolve(import.meta.dirname, "../../src/main.ts");
let dir: string;

async function vestibule(args: string[], env: Record<string, string> = {}) {
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("VESTIBULE_")),
  );
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args], {
      cwd: dir,
      env: { ...cleanEnv, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vestibule-cli-"));
});

describe("vestibule CLI: config", () => {
  it("check-config prints the resolved config without any secret value", async () => {
    const secrets = {
      VESTIBULE_BOT_ACCESS_TOKEN: "bot-token-AAAA",
      VESTIBULE_BOT_PASSWORD: "bot-password-BBBB",
      VESTIBULE_HOMESERVER_ADMIN_TOKEN: "admin-token-CCCC",
      VESTIBULE_HOMESERVER_REGISTRATION_SHARED_SECRET: "shared-secret-DDDD",
      VESTIBULE_INTERNAL_SECRET: "internal-secret-EEEE-long",
      VESTIBULE_MAIL_SMTP_HOST: "smtp.example.org",
      VESTIBULE_MAIL_SMTP_USER: "mailer",
      VESTIBULE_MAIL_SMTP_PASSWORD: "smtp-password-FFFF",
      VESTIBULE_DATABASE_URL: "postgres://vestibule:db-password-GGGG@db.example.org/vestibule",
      VESTIBULE_SECRETS_KEY: Buffer.alloc(32, 7).toString("base64"),
    };
    const result = await vestibule(["check-config"], secrets);
    expect(result.code).toBe(0);
    const output = result.stdout + result.stderr;
    for (const value of Object.values(secrets)) {
      if (value === "smtp.example.org" || value === "mailer") continue;
      const needle = value.startsWith("postgres://") ? "db-password-GGGG" : value;
      expect(output).not.toContain(needle);
    }
    const printed = JSON.parse(result.stdout.slice(result.stdout.indexOf("{"))) as Record<string, any>;
    expect(printed["bot"]["accessToken"]).toBe("[redacted]");
    expect(printed["mail"]["smtp"]).toMatchObject({ host: "smtp.example.org", password: "[redacted]" });
    expect(printed["database"]["url"]).toBe("postgres://vestibule:redacted@db.example.org/vestibule");
  });

  it("a bad config gives one line naming the key, and exit code 2", async () => {
    await writeFile(join(dir, "bad.ts"), `export default { web: { listne: "0.0.0.0:1" } };\n`);
    const unknownKey = await vestibule(["--config", "bad.ts", "check-config"]);
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr.trim()).toBe('config: unknown key "web.listne"; did you mean "web.listen"?');

    const wrongType = await vestibule(["check-config"], { VESTIBULE_BOT_APPROVALS_REQUIRED: "two" });
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr.trim().split("\n")).toHaveLength(1);
    expect(wrongType.stderr).toContain("bot.approvalsRequired");

    const missingSecret = await vestibule(["check-config"], {
      VESTIBULE_REGISTRATION_COLLECT_PASSWORD: "true",
    });
    expect(missingSecret.code).toBe(2);
    expect(missingSecret.stderr.trim()).toBe(
      "config: secrets.key: is required when registration.collectPassword is true",
    );

    const typo = await vestibule(["check-config"], { VESTIBULE_BOT_ACESS_TOKEN: "x" });
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe(
      "config: VESTIBULE_BOT_ACESS_TOKEN is not a known setting; did you mean VESTIBULE_BOT_ACCESS_TOKEN?",
    );
  });

  it("reads a config file given by VESTIBULE_CONFIG, and secrets from _FILE variables", async () => {
    await writeFile(join(dir, "good.ts"), `export default { homeserver: { serverName: "example.org" } };\n`);
    await writeFile(join(dir, "token.txt"), "file-token-HHHH\n");
    const result = await vestibule(["check-config"], {
      VESTIBULE_CONFIG: "good.ts",
      VESTIBULE_BOT_ACCESS_TOKEN_FILE: join(dir, "token.txt"),
    });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout.slice(result.stdout.indexOf("{"))) as Record<string, any>;
    expect(printed["homeserver"]["serverName"]).toBe("example.org");
    expect(printed["bot"]["accessToken"]).toBe("[redacted]");
    expect(result.stderr).not.toContain("bot.accessToken or bot.password is not set");
  });

  it("keygen prints a 32-byte base64 key", async () => {
    const result = await vestibule(["keygen"]);
    expect(result.code).toBe(0);
    const key = result.stdout.trim();
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(key, "base64")).toHaveLength(32);
  });

  it("unknown commands and options exit with 2 and usage", async () => {
    const unknown = await vestibule(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badOption = await vestibule(["serve", "--rolez", "web"]);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("--rolez");
    const badRole = await vestibule(["serve", "--roles", "web,chef"]);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('unknown role "chef"');
  });

  it("config.example.ts loads and validates", async () => {
    const result = await vestibule([
      "--config",
      resolve(import.meta.dirname, "../../config.example.ts"),
      "check-config",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"publicUrl": "https://join.example.org"');
  });
});
