// What the bot says, in English.
import { formatDuration } from "../../registration/duration.ts";
import type { BotMessages } from "./catalog.ts";

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const stateLabel: BotMessages["stateLabel"] = {
  unverified: "waiting for email confirmation",
  pending: "waiting for a decision",
  approved: "approved — creating the account",
  provisioned: "account created",
  declined: "declined",
  failed: "approved — account creation FAILED",
};

export const en: BotMessages = {
  locale: "en",
  time: (date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`,
  duration: formatDuration,
  stateLabel,

  request: {
    title: (id, userId) => `Sign-up request #${id}: ${userId}`,
    name: "Name",
    email: "Email",
    note: "Note from the applicant",
    submitted: "Submitted",
    status: "Status",
    waiting: (approvals, needed, declines, neededDeclines, voters) =>
      `Waiting for a decision — ${approvals}/${needed} approvals, ${declines}/${neededDeclines} declines${voters ? ` (${voters})` : ""}`,
    approvedBy: (who) => `✅ Approved by ${who} — creating the account`,
    provisionedBy: (who, userId) => `✅ Approved by ${who} — account ${userId} created`,
    declinedBy: (who, reason) => `❌ Declined by ${who}${reason ? `: ${reason}` : ""}`,
    failedAfterApproval: (who, reason, retryCommand) =>
      `⚠️ Approved by ${who}, but the account could not be created: ${reason ?? "unknown error"} — send ${retryCommand}`,
    howToDecide: (prefix, approvals, declines) =>
      `React ✅ to approve or ❌ to decline (${plural(approvals, "approval", "approvals")} / ${plural(declines, "decline", "declines")} needed), or reply ${prefix}approve / ${prefix}decline [reason].`,
    line: (id, userId, name, since) => `#${id} ${userId} — ${name} — since ${since}`,
  },

  requests: {
    approved: (id) => `Request #${id} approved; the account is being created.`,
    declined: (id) => `Request #${id} declined.`,
    approveRecorded: (id, approvals, needed) =>
      `Vote recorded for #${id} (${approvals}/${needed} approvals).`,
    declineRecorded: (id, declines, needed) => `Vote recorded for #${id} (${declines}/${needed} declines).`,
    retrying: (id) => `Trying request #${id} again.`,
    resent: (id) => `Sent new credentials for request #${id}.`,
    notFound: (id) => `There is no request #${id}.`,
    wrongState: (id, state) => `Request #${id} is ${state}; that cannot be done now.`,
    resendNotApplicable: (id) => `Request #${id} has no credentials to resend in this mode.`,
    alreadyHandled: (id, state) =>
      state === null ? "That was already handled." : `That was already handled: request #${id} is ${state}.`,
    noPending: "No requests are waiting for a decision.",
    pendingHeader: (n) => `${plural(n, "request", "requests")} waiting for a decision:`,
  },

  tokens: {
    notConfigured:
      "Registration tokens cannot be managed here: the homeserver admin token (homeserver.adminToken) is not set.",
    created: "Created a registration token:",
    noneValid: "No valid registration tokens.",
    listHeader: (n) => `${plural(n, "valid registration token", "valid registration tokens")}:`,
    line: (t) => {
      const uses = t.allowed === null ? `${t.used} used (unlimited)` : `${t.used}/${t.allowed} used`;
      const pending = t.inProgress > 0 ? `, ${t.inProgress} in progress` : "";
      const origin = t.createdBy ? `, by ${t.createdBy}${t.note ? ` (${t.note})` : ""}` : "";
      return `${t.token} — ${t.valid ? "valid" : "not valid"}, ${uses}${pending}, ${t.expiry}${origin}\n  ${t.inviteUrl}`;
    },
    neverExpires: "never expires",
    expired: "expired",
    expiresIn: (duration) => `expires in ${duration}`,
    usedBy: (userId, at) => `  used by ${userId} at ${at}`,
    noSuchToken: (token) => `There is no registration token ${token}.`,
    deleted: (tokens) => `Deleted ${tokens.join(", ")}.`,
    missing: (tokens) => `No such token: ${tokens.join(", ")}.`,
    confirmDeleteAll: (count, confirm) =>
      `This deletes all ${plural(count, "valid invitation token", "valid invitation tokens")} made through Vestibule (approved requests keep theirs; tokens made elsewhere are not touched). To go ahead, send ${confirm} within 2 minutes.`,
    nothingToConfirm: (first) => `Nothing to confirm: send ${first} first.`,
    deletedAll: (n) => `Deleted ${plural(n, "registration token", "registration tokens")}.`,
  },

  permissions: {
    allowed: (subject, command) => `${subject} may now use ${command}.`,
    alreadyAllowed: (subject) => `${subject} was already allowed.`,
    disallowed: (subject, command) => `${subject} may no longer use ${command}.`,
    notListed: (subject) => `${subject} was not on the list.`,
    onlyModerators: "Only moderators may manage tokens.",
    listHeader: "Besides the moderators, these may manage tokens:",
    listLine: (subject, createdBy) => `• ${subject} (by ${createdBy})`,
    who: {
      anyone: "anyone in the room",
      moderator: "moderators",
      tokens: "moderators, and those given the right with !allow",
    },
  },

  bans: {
    banned: (b) =>
      `${b.created ? "Banned" : "Updated the ban on"} ${b.kind} ${b.value} (#${b.id}, ${b.duration === null ? "permanent" : `for ${b.duration}`}${b.reason ? `: ${b.reason}` : ""}).`,
    invalidValue: (kind, value) => {
      const what = {
        ip: "an IP address or CIDR block",
        email: "an email address",
        domain: "a domain name",
        username: "a valid regular expression",
      }[kind];
      return `Cannot ban that: "${value}" is not ${what}.`;
    },
    lifted: "Ban lifted.",
    noSuchBan: (listCommand) => `No such ban. (${listCommand} lists them.)`,
    none: "No bans in force.",
    listHeader: (n) => `${plural(n, "ban", "bans")} in force:`,
    line: (b) =>
      `#${b.id}  ${b.kind.padEnd(8)} ${b.value}  (${b.until ? `until ${b.until}` : "permanent"}; by ${b.createdBy})${b.reason ? `  ${b.reason}` : ""}`,
  },

  portal: {
    linkSent: (userId) => `${userId}: I sent you a login link in a direct message.`,
    directMessage: (link, minutes) =>
      `Your Vestibule portal login link (valid ${minutes} minutes, works once): ${link}`,
  },

  help: {
    header: (prefix) => `Vestibule commands (prefix ${prefix}):`,
    footer:
      "A command sent as a reply to a request's message may leave out the ID. React ✅/👍 to approve, ❌/👎 to decline; removing your reaction withdraws the vote.",
    whoMay: (who, level) => `Who may: ${who} (moderators: power level ${level} or more).`,
  },

  arguments: {
    missingRequest: (command) =>
      `Which request? Write ${command} ID, or send the command as a reply to the request's message.`,
    missing: (label) => `${label} is missing.`,
    invalid: {
      requestId: (value) => `"${value}" is not a request ID (IDs are numbers, like 12 or #12).`,
      duration: (value) => `"${value}" is not a duration (like 30m, 12h, 7d or 2w).`,
      uses: (value) => `"${value}" is not a number of uses (1 or more, or "unlimited").`,
      expiry: (value) => `"${value}" is not an expiry (a duration like 12h or 7d, or "never").`,
      userId: (value) => `"${value}" is not a user ID (like @alice:example.org).`,
      subject: (value) => `"${value}" is not a user ID (like @alice:example.org) or a /pattern/.`,
      pattern: (value) => `"${value}" is not a valid regular expression.`,
      banKind: (value) => `"${value}" is not a kind of ban (ip, email, domain or username).`,
      banTarget: (value) =>
        `"${value}" is neither a ban number nor a kind of ban (ip, email, domain, username).`,
      token: (value) => `"${value}" is not a registration token.`,
      text: (value, label) => `"${value}" is not valid as ${label}.`,
      command: (value) => `"${value}" is not a command.`,
      literal: (value, label) => `"${value}" is not expected here (${label}).`,
    },
    tooLong: (label, max) => `${label} is longer than ${max} characters.`,
    controlCharacters: (label) => `${label} contains control characters.`,
    unexpected: (value) => `"${value}" is not expected here.`,
    refused: (value) => `"${value}" cannot be used here.`,
    usage: (line) => `Usage: ${line}`,
  },

  refusals: {
    notModerator: (userId, level) =>
      `${userId}: only moderators (power level ${level} or more) can do that here. Nothing was changed.`,
    unknownCommand: (prefix, name) => `Unknown command ${prefix}${name}. Send ${prefix}help for the list.`,
    onlyInModeratorRoom: "I only take commands in the moderators' room.",
  },

  failures: {
    failed: (message, incident) => `That did not work: ${message} (incident ${incident})`,
    codes: {
      bad_input: "The input is not valid.",
      not_found: "Not found.",
      forbidden: "This is not allowed.",
      conflict: "This cannot be done in the current state.",
      rate_limited: "Too many attempts. Please try again later.",
      config: "The service is not configured for this.",
      unavailable: "A service is temporarily unavailable. Please try again later.",
      rejected: "The request was refused.",
      internal: "Something went wrong.",
    },
  },

  notices: {
    provisioningFailed: (id, localpart, reason, retryCommand) =>
      `Request #${id} (${localpart}) could not be provisioned: ${reason}. Fix the cause and send ${retryCommand}.`,
    reminderHeader: (n, hours) =>
      `Reminder: ${n} request${n === 1 ? " has" : "s have"} been waiting for more than ${hours} h:`,
    reminderLine: (id, userId, since) => `#${id} ${userId} — waiting since ${since}`,
    encryptedRoom:
      "This room is end-to-end encrypted. Vestibule does not support encryption yet, so it will not post request details here. Use an unencrypted moderators' room.",
  },

  paramLabels: {
    id: "ID",
    reason: "REASON",
    uses: "USES",
    expiry: "EXPIRY",
    token: "TOKEN",
    tokens: "TOKEN",
    confirm: "confirm",
    subject: "@USER:SERVER|/PATTERN/",
    kind: "ip|email|domain|username",
    value: "VALUE",
    duration: "DURATION",
    ban: "ID|KIND VALUE",
    command: "COMMAND",
  },

  summaries: {
    approve: "vote to approve a request",
    decline: "vote to decline a request; the reason goes to the applicant",
    pending: "list the requests waiting for a decision",
    show: "show a request and its votes",
    retry: "try creating the account of a failed request again",
    resend: "send the applicant a fresh set-password (or registration) link",
    "token create": "make a registration token (invite link); uses default to 1, expiry to 7d",
    "token list": "list the valid registration tokens",
    "token show": "show a registration token and who used it",
    "token delete": "delete registration tokens",
    "token delete-all": "delete every invitation token made through Vestibule (asks first)",
    allow: "let someone who is not a moderator manage registration tokens",
    disallow: "take that right back",
    allowed: "who may manage tokens besides the moderators",
    ban: "refuse sign-ups from an IP/CIDR, email address, domain or username pattern; e.g. ban domain spam.example 30d",
    unban: "lift a ban",
    bans: "list the bans in force",
    login: "get a one-time login link to the web portal (sent to you privately)",
    help: "this list; help COMMAND for one command",
  },
};
