// check-config and keygen.
import { randomBytes } from "node:crypto";
import { configWarnings, redactConfig } from "../config/index.ts";
import type { Command } from "./command.ts";

export const checkConfigCommand: Command = {
  name: "check-config",
  summary: "print the resolved configuration (secrets redacted) and what is missing",
  usage: ["check-config"],
  async run(ctx) {
    ctx.out(`# config: ${ctx.configSource ?? "defaults (no config file)"}`);
    ctx.out(JSON.stringify(redactConfig(ctx.config), null, 2));
    const warnings = configWarnings(ctx.config);
    for (const warning of warnings) ctx.err(`warning: ${warning}`);
    return Promise.resolve({ exitCode: 0 });
  },
};

export const keygenCommand: Command = {
  name: "keygen",
  summary: "print a new random secrets.key (32 bytes, base64)",
  usage: ["keygen"],
  needsConfig: false,
  run(ctx) {
    ctx.out(randomBytes(32).toString("base64"));
    return Promise.resolve({ exitCode: 0 });
  },
};
