// The shape of the bot's message catalog: everything the bot says, in one typed object per language (en.ts,
// de.ts). A key missing in one language is a type error. bot.locale chooses the room's language.
import type { ErrorCode } from "../../errors.ts";
import type { BanKind } from "../../registration/policy.ts";
import type { Locale, RequestState } from "../../registration/types.ts";
import type { CommandId, ParamName, Permission, ValueKind } from "../commands/framework.ts";

export interface BotMessages {
  locale: Locale;
  /** A point in time as the room sees it ("2026-12-02 16:54 UTC"). */
  time(date: Date): string;
  /** A length of time ("3d 4h"). */
  duration(ms: number): string;
  stateLabel: Record<RequestState, string>;

  /** The request's message. */
  request: {
    title(id: number, userId: string): string;
    name: string;
    email: string;
    note: string;
    submitted: string;
    status: string;
    waiting(
      approvals: number,
      needed: number,
      declines: number,
      neededDeclines: number,
      voters: string,
    ): string;
    approvedBy(who: string): string;
    provisionedBy(who: string, userId: string): string;
    declinedBy(who: string, reason: string | null): string;
    failedAfterApproval(who: string, reason: string | null, retryCommand: string): string;
    howToDecide(prefix: string, approvals: number, declines: number): string;
    line(id: number, userId: string, name: string, since: string): string;
  };

  requests: {
    approved(id: number): string;
    declined(id: number): string;
    approveRecorded(id: number, approvals: number, needed: number): string;
    declineRecorded(id: number, declines: number, needed: number): string;
    retrying(id: number): string;
    resent(id: number): string;
    notFound(id: number): string;
    wrongState(id: number, state: string): string;
    resendNotApplicable(id: number): string;
    alreadyHandled(id: number, state: string | null): string;
    noPending: string;
    pendingHeader(count: number): string;
  };

  tokens: {
    notConfigured: string;
    created: string;
    noneValid: string;
    listHeader(count: number): string;
    line(token: {
      token: string;
      valid: boolean;
      used: number;
      allowed: number | null;
      inProgress: number;
      expiry: string;
      createdBy: string | null;
      note: string | null;
      inviteUrl: string;
    }): string;
    neverExpires: string;
    expired: string;
    expiresIn(duration: string): string;
    usedBy(userId: string, at: string): string;
    noSuchToken(token: string): string;
    deleted(tokens: readonly string[]): string;
    missing(tokens: readonly string[]): string;
    confirmDeleteAll(count: number, confirmCommand: string): string;
    nothingToConfirm(firstCommand: string): string;
    deletedAll(count: number): string;
  };

  permissions: {
    allowed(subject: string, command: string): string;
    alreadyAllowed(subject: string): string;
    disallowed(subject: string, command: string): string;
    notListed(subject: string): string;
    onlyModerators: string;
    listHeader: string;
    listLine(subject: string, createdBy: string): string;
    /** Who may run a command, for !help COMMAND. */
    who: Record<Permission, string>;
  };

  bans: {
    banned(ban: {
      created: boolean;
      id: number;
      kind: BanKind;
      value: string;
      duration: string | null;
      reason: string | null;
    }): string;
    invalidValue(kind: BanKind, value: string): string;
    lifted: string;
    noSuchBan(listCommand: string): string;
    none: string;
    listHeader(count: number): string;
    line(ban: {
      id: number;
      kind: BanKind;
      value: string;
      until: string | null;
      createdBy: string;
      reason: string | null;
    }): string;
  };

  portal: {
    linkSent(userId: string): string;
    directMessage(link: string, minutes: number): string;
  };

  help: {
    header(prefix: string): string;
    footer: string;
    whoMay(who: string, level: number): string;
  };

  /** Argument errors; each is followed by the command's usage line. */
  arguments: {
    missingRequest(command: string): string;
    missing(label: string): string;
    invalid: Record<ValueKind, (value: string, label: string) => string>;
    tooLong(label: string, max: number): string;
    controlCharacters(label: string): string;
    unexpected(value: string): string;
    /** The moderation core refused a value that passed the command's own checks. */
    refused(value: string): string;
    usage(line: string): string;
  };

  refusals: {
    notModerator(userId: string, level: number): string;
    unknownCommand(prefix: string, name: string): string;
    onlyInModeratorRoom: string;
  };

  failures: {
    failed(message: string, incident: string): string;
    /** The generic public message of each error code, in this language. */
    codes: Record<ErrorCode, string>;
  };

  notices: {
    provisioningFailed(id: number, localpart: string, reason: string, retryCommand: string): string;
    reminderHeader(count: number, hours: number): string;
    reminderLine(id: number, userId: string, since: string): string;
    encryptedRoom: string;
  };

  /** Parameter names in usage lines ("ID", "REASON"). */
  paramLabels: Record<ParamName, string>;
  /** One line per command for !help. */
  summaries: Record<CommandId, string>;
}
