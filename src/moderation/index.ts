// The moderation core: one audited function per use case, used alike by the bot, the portal and the CLI. Each
// function takes only the deps it needs; ModerationDeps is all of them, as the composition points build it.
import type { Config } from "../config/index.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import type { BanDeps } from "./bans.ts";
import type { DecisionDeps } from "./decisions.ts";
import type { PermissionDeps } from "./permissions.ts";
import type { PortalDeps } from "./portal-sessions.ts";
import type { ModeratorRights } from "./rights.ts";
import type {
  BanStore,
  InviteHomeserver,
  InviteStore,
  PermissionStore,
  PortalSessionStore,
} from "./ports.ts";
import type { InviteDeps } from "./tokens.ts";

export type ModerationDeps = BanDeps &
  PermissionDeps &
  InviteDeps &
  PortalDeps &
  DecisionDeps & {
    rights: ModeratorRights;
  };

/** How long a portal sign-in link stays usable. */
export const PORTAL_LOGIN_MINUTES = 10;

/** Puts ModerationDeps together from parts the composition point built (start.ts, cli/deps.ts). */
export function assembleModerationDeps(parts: {
  config: Pick<Config, "publicUrl" | "portal" | "mail" | "bot" | "homeserver" | "registration">;
  stores: {
    bans: BanStore;
    permissions: PermissionStore;
    invites: InviteStore;
    portalSessions: PortalSessionStore;
  };
  /** The homeserver's token API, or null without an admin token. */
  homeserver: InviteHomeserver | null;
  store: RegistrationStore;
  rights: ModeratorRights;
  clock: () => Date;
}): ModerationDeps {
  const { config } = parts;
  return {
    ...parts.stores,
    homeserver: parts.homeserver,
    store: parts.store,
    settings: {
      adminEmail: config.mail.adminEmail,
      approvalsRequired: config.bot.approvalsRequired,
      declinesRequired: config.bot.declinesRequired,
      mode: config.homeserver.mode,
      credentials: config.registration.credentials,
      invitesSkipReview: config.registration.invitesSkipReview,
    },
    rights: parts.rights,
    portal: {
      sessionHours: config.portal.sessionHours,
      loginMinutes: PORTAL_LOGIN_MINUTES,
      publicUrl: config.publicUrl,
    },
    publicUrl: config.publicUrl,
    clock: parts.clock,
  };
}

export {
  addBan,
  liftBan,
  listBans,
  type AddBanInput,
  type AddBanResult,
  type LiftBanResult,
} from "./bans.ts";
export {
  decide,
  resend,
  retryRequest,
  type DecideInput,
  type DecideResult,
  type ResendResult,
  type RetryResult,
} from "./decisions.ts";
export type { Invalid } from "./input.ts";
export {
  grantPermission,
  listPermissions,
  mayUse,
  revokePermission,
  showSubject,
  type GrantResult,
  type RevokeResult,
} from "./permissions.ts";
export {
  endPortalSession,
  issuePortalLogin,
  listPortalSessions,
  openPortalSession,
  portalLoginOf,
  portalSessionOf,
  revokePortalSessions,
  type PortalSessionView,
  type SessionResult,
} from "./portal-sessions.ts";
export type { BanRecord, ModerationAction, Permission, PermissionScope } from "./ports.ts";
export { createModeratorRights, type ModeratorRights, type RightsResult } from "./rights.ts";
export {
  createInvite,
  deleteInvites,
  isTokenString,
  listInvites,
  showInvite,
  type TokenView,
} from "./tokens.ts";
