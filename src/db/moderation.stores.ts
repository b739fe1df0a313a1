// The moderation core's stores over one database, built once by each composition point (start.ts, cli/deps.ts).
import type { Kysely } from "kysely";
import type { BanStore, InviteStore, PermissionStore, PortalSessionStore } from "../moderation/ports.ts";
import { createBanStore } from "./ban.repository.ts";
import { createInviteStore } from "./homeserver-token.repository.ts";
import { createPermissionStore } from "./permission.repository.ts";
import type { Database } from "./schema.ts";
import { createPortalSessionStore } from "./secret-token.repository.ts";

export interface ModerationStores {
  bans: BanStore;
  permissions: PermissionStore;
  invites: InviteStore;
  portalSessions: PortalSessionStore;
}

export function createModerationStores(db: Kysely<Database>): ModerationStores {
  return {
    bans: createBanStore(db),
    permissions: createPermissionStore(db),
    invites: createInviteStore(db),
    portalSessions: createPortalSessionStore(db),
  };
}
