// The bot's outbox rows: post a request's message (and react ✅ ❌ to it), edit it when the request changes, post a
// notice, send a direct message. Each handler takes the decoded effect of its kind; every send has a transaction id
// derived from the row, so a retried row never posts twice.
//
// The handler types mirror src/outbox/registry.ts (OutboxJob / OutboxHandler / OutboxHandlers, on wt-acct) one to
// one; until that registry is on main, `toRowHandlers` decodes the rows for today's worker.
import { z } from "zod";
import type { ClaimedOutboxRow } from "../db/outbox.repository.ts";
import type { OutboxHandler as RowHandler, OutboxOutcome } from "../jobs/outbox.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import type { BotNotice, SideEffect } from "../registration/side-effects.ts";
import { attachRoomMessage } from "../registration/transitions.ts";
import { parseRequestId, parseUserId, type RequestId } from "../registration/types.ts";
import type { RoomMessenger } from "./messenger.ts";
import { editContent, noticeContent } from "./render/content.ts";
import type { RenderContext } from "./render/context.ts";
import { renderNotice } from "./render/notice.ts";
import { renderRequest } from "./render/request.ts";
import type { RoomFacts } from "./room-facts.ts";

export type BotEffectKind = "bot.post_request" | "bot.update_request" | "bot.notice" | "bot.direct_message";
type EffectOf<K extends BotEffectKind> = Extract<SideEffect, { kind: K }>;

/** A claimed row with its payload decoded for its kind (registry.ts: OutboxJob). */
export interface BotOutboxJob<K extends BotEffectKind> {
  id: number;
  kind: K;
  requestId: RequestId | null;
  effect: EffectOf<K>;
  attempts: number;
  createdAt: Date;
}

export type BotOutboxHandler<K extends BotEffectKind> = (
  job: BotOutboxJob<K>,
  now: Date,
) => Promise<OutboxOutcome>;
export type BotOutboxHandlers = { [K in BotEffectKind]: BotOutboxHandler<K> };

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

// ---------------------------------------------------------------------------------------------------------------
// Decoding for today's untyped worker (src/jobs/outbox.ts). Goes when src/outbox/registry.ts decodes the rows.

const requestRef = z.number().transform((value, ctx) => {
  const id = parseRequestId(value);
  if (!id) ctx.addIssue({ code: "custom", message: "not a request id" });
  return id ?? z.NEVER;
});

const notice: z.ZodType<BotNotice> = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("provisioning_failed"),
    requestId: requestRef,
    localpart: z.string(),
    reason: z.string(),
  }),
  z.strictObject({
    type: z.literal("reminder"),
    afterHours: z.number(),
    requests: z.array(
      z.strictObject({ id: requestRef, localpart: z.string(), waitingSince: z.iso.datetime() }),
    ),
  }),
]);

/** The payload of each kind (the row's JSON without `kind`). */
const payloads: { [K in BotEffectKind]: z.ZodType<Omit<EffectOf<K>, "kind">> } = {
  "bot.post_request": z.strictObject({}),
  "bot.update_request": z.strictObject({}),
  "bot.notice": z.strictObject({ notice }),
  "bot.direct_message": z.strictObject({ userId: z.string(), text: z.string() }),
};

function decoded<K extends BotEffectKind>(kind: K, handler: BotOutboxHandler<K>): RowHandler {
  return async (row: ClaimedOutboxRow, now: Date) => {
    const payload = payloads[kind].safeParse(row.payload);
    const requestId = row.requestId === null ? null : parseRequestId(row.requestId);
    if (!payload.success || requestId === undefined)
      return { status: "dead", error: `malformed ${kind} row: ${payload.error?.message ?? "request id"}` };
    // The schema of `kind` produced the payload, so with `kind` added it is that kind's effect.
    const effect = { ...payload.data, kind } as EffectOf<K>;
    return handler(
      { id: row.id, kind, requestId, effect, attempts: row.attempts, createdAt: row.createdAt },
      now,
    );
  };
}

export function toRowHandlers(handlers: BotOutboxHandlers): Record<BotEffectKind, RowHandler> {
  return {
    "bot.post_request": decoded("bot.post_request", handlers["bot.post_request"]),
    "bot.update_request": decoded("bot.update_request", handlers["bot.update_request"]),
    "bot.notice": decoded("bot.notice", handlers["bot.notice"]),
    "bot.direct_message": decoded("bot.direct_message", handlers["bot.direct_message"]),
  };
}
