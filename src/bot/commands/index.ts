// Every command the bot knows, in the order !help lists them.
import { banCommands, type BanCommandDeps } from "./bans.ts";
import type { Command } from "./framework.ts";
import { helpCommands } from "./help.ts";
import { permissionCommands, type PermissionCommandDeps } from "./permissions.ts";
import { portalCommands, type PortalCommandDeps } from "./portal.ts";
import { requestCommands, type RequestCommandDeps } from "./requests.ts";
import { tokenCommands, type TokenCommandDeps } from "./tokens.ts";

export interface CommandDeps {
  requests: RequestCommandDeps;
  tokens: TokenCommandDeps;
  permissions: PermissionCommandDeps;
  bans: BanCommandDeps;
  portal: PortalCommandDeps;
}

export function allCommands(deps: CommandDeps): Command[] {
  return [
    ...requestCommands(deps.requests),
    ...tokenCommands(deps.tokens),
    ...permissionCommands(deps.permissions),
    ...banCommands(deps.bans),
    ...portalCommands(deps.portal),
    ...helpCommands(),
  ];
}
