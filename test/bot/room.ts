// Steps the bot tests against the real Synapse share: a service whose bot sits in a fresh moderators' room, asking
// the bot something and reading its answer, and a pending request with its room message.
import { expect } from "vitest";
import { applyAndVerify, type Applicant } from "../support/flows.ts";
import { matrixRequest, type TestUser } from "../support/homeserver.ts";
import { say, textOf, waitForEvent, type ModeratorRoom } from "../support/matrix-room.ts";
import type { TestService } from "../support/service.ts";
import type { SmtpSink } from "../support/smtp-sink.ts";

export interface SynapseRef {
  url: string;
  serverName: string;
  adminToken: string;
}

export function botConfig(
  synapse: SynapseRef,
  sink: SmtpSink,
  room: ModeratorRoom,
  options: { bot?: Record<string, unknown>; homeserver?: Record<string, unknown> } = {},
) {
  return {
    homeserver: {
      url: synapse.url,
      serverName: synapse.serverName,
      adminToken: synapse.adminToken,
      ...options.homeserver,
    },
    mail: { smtp: sink.smtpConfig() },
    bot: {
      enabled: true,
      userId: room.bot.userId,
      accessToken: room.bot.accessToken,
      moderatorRoom: room.roomId,
      // Tests ask one member for many refusals in a row; the rate limit of refusal notices has its own test.
      refusalNoticeSeconds: 0,
      ...options.bot,
    },
  };
}

/** Waits (with a deadline) until the bot is in its room; usable in hooks too. */
export async function waitForBotReady(service: TestService, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const health = service.deps.health.get("bot");
    if (health?.status === "ok" && health.detail?.startsWith("in ")) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`bot not ready: ${JSON.stringify(service.deps.health.get("bot"))}`);
}

/** Sends a command and returns the bot's answer to it (the reply that points at it). */
export async function ask(
  synapse: { url: string },
  room: ModeratorRoom,
  user: TestUser,
  command: string,
  replyTo?: string,
): Promise<string> {
  const sent = await say(synapse, user, room.roomId, command, replyTo);
  return answerTo(synapse, room, sent);
}

export async function answerTo(
  synapse: { url: string },
  room: ModeratorRoom,
  eventId: string,
): Promise<string> {
  const reply = await waitForEvent(
    synapse,
    room.moderator,
    room.roomId,
    (e) => e.sender === room.bot.userId && e.content["m.relates_to"]?.["m.in_reply_to"]?.event_id === eventId,
  );
  return textOf(reply);
}

/** Applies, verifies, and waits for the bot's message about the request. */
export async function pendingWithMessage(service: TestService, sink: SmtpSink, who?: Applicant) {
  const { request, applicant } = await applyAndVerify(service, sink, who);
  await expect
    .poll(async () => (await service.deps.store.getRequest(request.id))?.roomEventId, { timeout: 20_000 })
    .toBeTruthy();
  const current = (await service.deps.store.getRequest(request.id))!;
  return { request: current, applicant, eventId: current.roomEventId! };
}

/** Sets a user's power level in the room (as the room's admin). */
export async function setPowerLevel(
  synapse: { url: string },
  room: ModeratorRoom,
  userId: string,
  level: number,
): Promise<void> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/state/m.room.power_levels/`;
  const current = await matrixRequest(synapse, "GET", path, { accessToken: room.moderator.accessToken });
  const users = { ...(current.body["users"] as Record<string, number>), [userId]: level };
  const changed = await matrixRequest(synapse, "PUT", path, {
    accessToken: room.moderator.accessToken,
    body: { ...current.body, users },
  });
  expect(changed.status).toBe(200);
}
