// The moderation core: one audited function per use case, used alike by the bot, the portal and the CLI. Each
// function takes only the deps it needs; ModerationDeps is all of them, as the composition points build it.
import type { BanDeps } from "./bans.ts";
import type { DecisionDeps } from "./decisions.ts";
import type { PermissionDeps } from "./permissions.ts";
import type { PortalDeps } from "./portal-sessions.ts";
import type { ModeratorRights } from "./rights.ts";
import type { InviteDeps } from "./tokens.ts";

export type ModerationDeps = BanDeps &
  PermissionDeps &
  InviteDeps &
  PortalDeps &
  DecisionDeps & {
    rights: ModeratorRights;
  };

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
