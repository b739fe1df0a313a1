// The outbox's registry of side-effect kinds: one zod schema per kind decodes a stored row back into the
// `SideEffect` it was written from, and handlers are keyed by those kinds. A misspelt kind is a type error, and a
// row whose kind or payload does not fit is reported and buried by the worker instead of lying unclaimed forever.
import { z } from "zod";
import type { ClaimedOutboxRow } from "../db/outbox.repository.ts";
import type { BotNotice, SideEffect, SideEffectKind } from "../registration/side-effects.ts";
import { parseRequestId, type Locale, type RequestId } from "../registration/types.ts";

/** `Omit` that keeps a union a union (each member loses the keys on its own). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The side effect of one kind. */
export type EffectOf<K extends SideEffectKind> = Extract<SideEffect, { kind: K }>;

/**
 * The effect as it comes back from the database: an email's sealed secret travels in the row's own column (wiped
 * once the row is done), not in the JSON payload, so it is on the job instead.
 */
export type StoredEffect<K extends SideEffectKind> = DistributiveOmit<EffectOf<K>, "sealedSecret">;

/** A claimed row whose payload was decoded for its kind. */
export interface OutboxJob<K extends SideEffectKind = SideEffectKind> {
  id: number;
  kind: K;
  requestId: RequestId | null;
  effect: StoredEffect<K>;
  /** A sealed secret (secretbox) the row carries, e.g. a one-time password for its email. */
  secret: Uint8Array | null;
  /** Attempts before this one. */
  attempts: number;
  createdAt: Date;
}

export type OutboxOutcome =
  | { status: "done" }
  /** Try again later; `retryAfterMs` overrides the backoff (e.g. a 429's delay). */
  | { status: "retry"; error: string; retryAfterMs?: number }
  /** Give up for good. */
  | { status: "dead"; error: string };

export type OutboxHandler<K extends SideEffectKind> = (
  job: OutboxJob<K>,
  now: Date,
) => Promise<OutboxOutcome>;

/** The handlers one worker runs, keyed by kind: it claims rows of exactly these kinds. */
export type OutboxHandlers = { [K in SideEffectKind]?: OutboxHandler<K> };

type PayloadOf<K extends SideEffectKind> = DistributiveOmit<StoredEffect<K>, "kind">;

const text = z.string();
const locale: z.ZodType<Locale> = z.enum(["en", "de"]);
const requestRef = z.number().transform((value, ctx) => {
  const id = parseRequestId(value);
  if (!id) ctx.addIssue({ code: "custom", message: "not a request id" });
  return id ?? z.NEVER;
});
/** What a notice is about; the bot words it (src/bot/render/notice.ts). */
const botNotice: z.ZodType<BotNotice> = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("provisioning_failed"),
    requestId: requestRef,
    localpart: text,
    reason: text,
  }),
  z.strictObject({
    type: z.literal("reminder"),
    afterHours: z.number(),
    requests: z.array(z.strictObject({ id: requestRef, localpart: text, waitingSince: z.iso.datetime() })),
  }),
]);

/**
 * What each kind's JSON payload must look like. Typed against the side-effect union, so a new kind or a changed
 * field does not compile until its schema follows. Strict objects: a payload with fields its kind does not have
 * was written by something else and is reported, not half-understood.
 */
const payloadSchemas: { [K in SideEffectKind]: z.ZodType<PayloadOf<K>> } = {
  email: z.strictObject({
    template: z.enum([
      "verify_email",
      "admin_new_request",
      "declined",
      "account_ready_link",
      "account_ready_password",
      "account_ready_collected",
      "token_register",
      "password_link_resent",
      "rotating_token",
    ]),
    to: text.min(1),
    locale,
    params: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
    links: z.array(z.enum(["verify_email", "status", "set_password", "token_register"])),
  }),
  "bot.post_request": z.strictObject({}),
  "bot.update_request": z.strictObject({}),
  "bot.notice": z.strictObject({ notice: botNotice }),
  "bot.direct_message": z.strictObject({ userId: text.min(1), text }),
  provision: z.strictObject({}),
  "homeserver.delete_token": z.strictObject({ token: text.min(1) }),
};

/** Every kind the outbox knows. A row of any other kind is buried by the worker that buries unknown kinds. */
export const outboxKinds = Object.keys(payloadSchemas) as readonly string[] as readonly SideEffectKind[];

export function isOutboxKind(kind: string): kind is SideEffectKind {
  return Object.hasOwn(payloadSchemas, kind);
}

export type DecodedRow =
  { ok: true; job: OutboxJob } | { ok: false; reason: "unknown_kind" | "malformed"; error: string };

/** Decodes a claimed row for its kind; says why when it cannot. */
export function decodeOutboxRow(row: ClaimedOutboxRow): DecodedRow {
  const kind = row.kind;
  if (!isOutboxKind(kind)) return { ok: false, reason: "unknown_kind", error: `unknown kind ${kind}` };
  const requestId = row.requestId === null ? null : parseRequestId(row.requestId);
  if (requestId === undefined)
    return { ok: false, reason: "malformed", error: `request id ${row.requestId} is not one` };
  const parsed = payloadSchemas[kind].safeParse(row.payload);
  if (!parsed.success)
    return {
      ok: false,
      reason: "malformed",
      error: `${kind} payload: ${z.prettifyError(parsed.error).replace(/\s+/g, " ")}`,
    };
  return {
    ok: true,
    job: {
      id: row.id,
      kind,
      requestId,
      effect: { ...parsed.data, kind } as StoredEffect<SideEffectKind>,
      secret: row.secret,
      attempts: row.attempts,
      createdAt: row.createdAt,
    },
  };
}

/**
 * Runs the handler registered for a job's kind. The one place the correlation between a kind and its handler is
 * asserted: `decodeOutboxRow` produced the effect from that same kind's schema.
 */
export function handlerFor(
  handlers: OutboxHandlers,
  kind: SideEffectKind,
): OutboxHandler<SideEffectKind> | undefined {
  return handlers[kind] as OutboxHandler<SideEffectKind> | undefined;
}
