// What the bot says in the moderators' room. One language (the room's): English. Rendering is kept apart from the
// logic that decides what to say.
import type { RequestState } from "../registration/types.ts";

export const botText = {
  stateLabel: {
    unverified: "waiting for email confirmation",
    pending: "waiting for a decision",
    approved: "approved — creating the account",
    provisioned: "account created",
    declined: "declined",
    failed: "approved — account creation FAILED",
  } satisfies Record<RequestState, string>,
  howToDecide: (prefix: string, approvals: number, declines: number) =>
    `React ✅ to approve or ❌ to decline (${approvals} approval${approvals === 1 ? "" : "s"} / ${declines} decline${declines === 1 ? "" : "s"} needed), or reply ${prefix}approve / ${prefix}decline [reason].`,
  notModerator: (userId: string, level: number) =>
    `${userId}: only moderators (power level ${level} or more) can do that here. Nothing was changed.`,
  unknownCommand: (prefix: string, command: string) =>
    `Unknown command ${prefix}${command}. Send ${prefix}help for the list.`,
  needsId: (prefix: string, command: string) =>
    `Which request? Write ${prefix}${command} ID, or send the command as a reply to the request's message.`,
  badId: (value: string) => `"${value}" is not a request ID (IDs are numbers, like 12 or #12).`,
  notFound: (id: number) => `There is no request #${id}.`,
  wrongState: (id: number, state: RequestState) =>
    `Request #${id} is ${botText.stateLabel[state]}; that cannot be done now.`,
  duplicate: "That was already handled.",
  reasonTooLong: "The reason is longer than 500 characters.",
  approved: (id: number) => `Request #${id} approved; the account is being created.`,
  declined: (id: number) => `Request #${id} declined.`,
  voteRecorded: (id: number, approvals: number, needed: number) =>
    `Vote recorded for #${id} (${approvals}/${needed} approvals).`,
  declineRecorded: (id: number, declines: number, needed: number) =>
    `Vote recorded for #${id} (${declines}/${needed} declines).`,
  retrying: (id: number) => `Trying request #${id} again.`,
  resent: (id: number) => `Sent new credentials for request #${id}.`,
  resendNotApplicable: (id: number) => `Request #${id} has no credentials to resend in this mode.`,
  noPending: "No requests are waiting for a decision.",
  pendingHeader: (n: number) => `${n} request${n === 1 ? "" : "s"} waiting for a decision:`,
  reminder: (n: number, hours: number) =>
    `Reminder: ${n} request${n === 1 ? " has" : "s have"} been waiting for more than ${hours} h:`,
  onlyInModeratorRoom: "I only take commands in the moderators' room.",
  encryptedRoom:
    "This room is end-to-end encrypted. Vestibule does not support encryption yet, so it will not post request details here. Use an unencrypted moderators' room.",
  help: (prefix: string, commands: readonly { usage: string; summary: string }[]) => [
    `Vestibule commands (prefix ${prefix}):`,
    ...commands.map((c) => `${prefix}${c.usage} — ${c.summary}`),
    "A command sent as a reply to a request's message may leave out the ID. React ✅/👍 to approve, ❌/👎 to decline; removing your reaction withdraws the vote.",
  ],
};
