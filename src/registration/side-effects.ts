// The side effects a transition can cause. Transitions write them into the outbox in the same transaction as the
// state change; workers carry them out later (and again after a crash, so each handler is idempotent or accepts
// the small at-least-once window of an SMTP hand-over).
import type { Locale, RequestId } from "./types.ts";

/** Links minted at send time, so no usable token ever sits in the database in plain text. */
export type EmailLink = "verify_email" | "status" | "set_password" | "token_register";

/** Emails the service sends. The names are the template keys in src/mail. */
export type EmailTemplate =
  /** "Please confirm your address" (verify + status links). */
  | "verify_email"
  /** To mail.adminEmail: a new request is waiting. */
  | "admin_new_request"
  /** The request was declined (with the reason when given). */
  | "declined"
  /** The account exists; set your password (set_password link). */
  | "account_ready_link"
  /** The account exists; here is a one-time password (sealed in the outbox row until sent). */
  | "account_ready_password"
  /** The account exists with the password chosen on the form. */
  | "account_ready_collected"
  /** Token mode / invites: finish registration on our page (token_register link). */
  | "token_register"
  /** A fresh set-password link asked for by a moderator. */
  | "password_link_resent"
  /** Today's shared registration token (registration.rotatingToken), read when the email is sent. */
  | "rotating_token";

export interface EmailEffect {
  kind: "email";
  template: EmailTemplate;
  /** Recipient; for admin notices, mail.adminEmail. */
  to: string;
  locale: Locale;
  /** Values the template shows (names, reason). Never secrets. */
  params: Record<string, string | number | null>;
  links: EmailLink[];
  /** A sealed secret (secretbox) the template needs, e.g. a one-time password. Wiped once sent. */
  sealedSecret?: Uint8Array;
}

/** Post the request's message in the moderator room (once per request). */
export interface BotPostRequestEffect {
  kind: "bot.post_request";
}

/** Edit the request's room message to show its current state (m.replace). */
export interface BotUpdateRequestEffect {
  kind: "bot.update_request";
}

/**
 * What a notice in the moderator room is about. Structured, not text: the bot words it from its message catalog in
 * the room's language (bot.locale).
 */
export type BotNotice =
  /** Provisioning failed for good or ran out of retries; a moderator can fix the cause and retry. */
  | { type: "provisioning_failed"; requestId: RequestId; localpart: string; reason: string }
  /** Requests that have waited longer than bot.reminderAfterHours. */
  | {
      type: "reminder";
      afterHours: number;
      requests: { id: RequestId; localpart: string; waitingSince: string }[];
    };

/** A notice in the moderator room, e.g. why provisioning failed. */
export interface BotNoticeEffect {
  kind: "bot.notice";
  notice: BotNotice;
}

/** The bot writes to a new account directly (homeserver.welcomeMessage). */
export interface BotDirectMessageEffect {
  kind: "bot.direct_message";
  userId: string;
  text: string;
}

/** Create the account (or, in token mode, the registration token) for an approved request. */
export interface ProvisionEffect {
  kind: "provision";
}

/** Delete a registration token Vestibule created on the homeserver (declined/expired request). */
export interface DeleteHomeserverTokenEffect {
  kind: "homeserver.delete_token";
  token: string;
}

export type SideEffect =
  | EmailEffect
  | BotPostRequestEffect
  | BotUpdateRequestEffect
  | BotNoticeEffect
  | BotDirectMessageEffect
  | ProvisionEffect
  | DeleteHomeserverTokenEffect;

export type SideEffectKind = SideEffect["kind"];

/** A side effect tied (or not) to a request. */
export interface QueuedEffect {
  requestId: RequestId | null;
  effect: SideEffect;
}
