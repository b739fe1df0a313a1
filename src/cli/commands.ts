// Every CLI command, in the order `vestibule help` lists them. Add a command by importing its module here.
import type { Command } from "./command.ts";
import { checkConfigCommand, keygenCommand } from "./config.commands.ts";
import { migrateCommand, serveCommand } from "./serve.commands.ts";
import { cleanupCommand } from "./cleanup.command.ts";
import { tokensCommand } from "./tokens.command.ts";
import { bansCommand } from "./bans.command.ts";
import { requestsCommand } from "./requests.command.ts";
import { accountsCommand } from "./accounts.command.ts";
import { permissionsCommand } from "./permissions.command.ts";
import { portalCommand } from "./portal.command.ts";

export const commands: readonly Command[] = [
  serveCommand,
  migrateCommand,
  requestsCommand,
  checkConfigCommand,
  keygenCommand,
  cleanupCommand,
  tokensCommand,
  bansCommand,
  permissionsCommand,
  portalCommand,
  accountsCommand,
];
