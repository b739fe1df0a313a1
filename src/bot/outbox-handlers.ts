// The bot's outbox rows: post a request's message (and react ✅ ❌ to it), edit it when the request changes, post a
// notice, send a direct message. Each handler takes the effect of its kind as the outbox registry decoded it; every
// send has a transaction id derived from the row, so a retried row never posts twice.
import type { OutboxHandler } from "../outbox/registry.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import { attachRoomMessage } from "../registration/transitions.ts";
import { parseUserId } from "../registration/types.ts";
import type { RoomMessenger } from "./messenger.ts";
import { editContent, noticeContent } from "./render/content.ts";
import type { RenderContext } from "./render/context.ts";
import { renderNotice } from "./render/notice.ts";
import { renderRequest } from "./render/request.ts";
import type { RoomFacts } from "./room-facts.ts";

export type BotEffectKind = "bot.post_request" | "bot.update_request" | "bot.notice" | "bot.direct_message";
/** Exactly the bot's kinds, each with its handler (the worker claims rows of these kinds only). */
export type BotOutboxHandlers = { [K in BotEffectKind]: OutboxHandler<K> };

export interface BotOutboxDeps {
  store: RegistrationStore;
  facts: RoomFacts;
  messenger: RoomMessenger;
  renderContext(now: Date): RenderContext;
}

/** The encrypted-room retry: request details are never posted in the clear (issue 13 lifts this). */
const ENCRYPTED_RETRY_MS = 10 * 60_000;

export function createBotOutboxHandlers(deps: BotOutboxDeps): BotOutboxHandlers {
  const { store, facts, messenger } = deps;
  return {
    async "bot.post_request"(job, now) {
      if (job.requestId === null) return { status: "dead", error: "post_request row without a request" };
      const request = await store.getRequest(job.requestId);
      if (!request || request.roomEventId) return { status: "done" };
      if (facts.encrypted)
        return {
          status: "retry",
          error: "the moderators' room is encrypted; not posting request details",
          retryAfterMs: ENCRYPTED_RETRY_MS,
        };
      const message = renderRequest(request, await store.listVotes(request.id), deps.renderContext(now));
      const eventId = await messenger.send(
        facts.roomId,
        "m.room.message",
        noticeContent(message),
        `post-${job.id}`,
      );
      await attachRoomMessage(store, { id: request.id, roomId: facts.roomId, eventId }, now);
      for (const [key, suffix] of [
        ["✅", "a"],
        ["❌", "d"],
      ] as const) {
        await messenger.send(
          facts.roomId,
          "m.reaction",
          { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } },
          `post-${job.id}-${suffix}`,
        );
      }
      return { status: "done" };
    },

    async "bot.update_request"(job, now) {
      if (job.requestId === null) return { status: "dead", error: "update_request row without a request" };
      const request = await store.getRequest(job.requestId);
      // Not posted yet (the post will show the current state), or posted in a room the bot has left.
      if (!request?.roomEventId || request.roomId !== facts.roomId) return { status: "done" };
      const message = renderRequest(request, await store.listVotes(request.id), deps.renderContext(now));
      await messenger.send(
        facts.roomId,
        "m.room.message",
        editContent(request.roomEventId, message),
        `edit-${job.id}`,
      );
      return { status: "done" };
    },

    async "bot.notice"(job, now) {
      await messenger.notice(renderNotice(job.effect.notice, deps.renderContext(now)), `notice-${job.id}`);
      return { status: "done" };
    },

    async "bot.direct_message"(job) {
      const userId = parseUserId(job.effect.userId);
      if (!userId) return { status: "dead", error: "direct message to something that is not a user ID" };
      await messenger.direct(userId, { msgtype: "m.text", body: job.effect.text }, `dm-${job.id}`);
      return { status: "done" };
    },
  };
}
