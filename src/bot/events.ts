// The boundary between room events and the bot: every value the bot takes from an event is checked here (ids by
// their grammar, text without NUL, relations of the shape the bot reads) before it reaches the database or the
// domain. Anyone in a room can send any JSON; a value that does not pass makes the event "malformed", which the sync
// loop records and skips — it never stops the loop.
import { z } from "zod";
import { parseEventId, parseUserId, type EventId, type UserId } from "../registration/types.ts";

export interface PowerLevels {
  users: ReadonlyMap<UserId, number>;
  usersDefault: number;
}

interface Envelope {
  eventId: EventId;
  sender: UserId;
}

/** What the bot acts on, parsed. Everything else is "ignored". */
export type BotEvent =
  | (Envelope & { type: "message"; body: string; replyTo: EventId | null })
  | (Envelope & { type: "reaction"; target: EventId; key: string })
  | (Envelope & { type: "redaction"; target: EventId })
  | (Envelope & { type: "power_levels"; levels: PowerLevels })
  | (Envelope & { type: "member"; userId: UserId; membership: string })
  | (Envelope & { type: "create"; roomVersion: string; additionalCreators: UserId[] })
  | (Envelope & { type: "encryption" })
  | (Envelope & { type: "ignored"; eventType: string });

export type ParsedEvent =
  | { ok: true; event: BotEvent }
  /** `eventId` only when it passed its own check (it is then safe to log and show). */
  | { ok: false; eventId: EventId | undefined; problem: string };

/** Longer than any event Synapse accepts (64 KiB): a body beyond this is not a client's. */
const MAX_BODY = 65_536;
/** Reaction keys are short (an emoji, a word); a longer one is not a vote. */
const MAX_KEY = 256;

const hasNul = (text: string) => text.includes("\u0000");

const eventId = z.string().transform((value, ctx) => {
  const parsed = parseEventId(value);
  if (!parsed) ctx.addIssue({ code: "custom", message: "not an event id" });
  return parsed ?? z.NEVER;
});
const userId = z.string().transform((value, ctx) => {
  const parsed = parseUserId(value);
  if (!parsed) ctx.addIssue({ code: "custom", message: "not a user id" });
  return parsed ?? z.NEVER;
});
const content = z.record(z.string(), z.unknown());
// eslint-disable-next-line no-control-regex
const controlFree = /^[^\u0000-\u001f\u007f]+$/;

const envelope = z.object({
  event_id: eventId,
  sender: userId,
  /** Event types are namespaced identifiers; control characters in one are not a client's. */
  type: z.string().min(1).max(255).regex(controlFree),
  state_key: z.string().optional(),
  content: content.default({}),
  redacts: z.unknown().optional(),
});

/** A relation the bot reads: `m.in_reply_to` of a message. Absent is fine; present must be well-formed. */
const messageRelation = z.object({ "m.in_reply_to": z.object({ event_id: eventId }).optional() }).optional();

const annotation = z.object({
  rel_type: z.literal("m.annotation"),
  event_id: eventId,
  key: z
    .string()
    .max(MAX_KEY)
    .refine((key) => !hasNul(key), "NUL in key"),
});

/** Older room versions allow power levels as strings ("50"); anything not a finite number is left out. */
function level(value: unknown): number | undefined {
  const n = typeof value === "string" && /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

/**
 * Power levels as the server applies them: lenient, since the server already accepted the event and its valid
 * entries are in force; entries the bot cannot read are left out rather than rejecting the whole event.
 */
export function parsePowerLevels(value: unknown): PowerLevels {
  const users = new Map<UserId, number>();
  const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const listed = record["users"];
  if (typeof listed === "object" && listed !== null) {
    for (const [key, raw] of Object.entries(listed)) {
      const id = parseUserId(key);
      const n = level(raw);
      if (id && n !== undefined) users.set(id, n);
    }
  }
  return { users, usersDefault: level(record["users_default"]) ?? 0 };
}

function problemOf(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".") || "event"}: ${issue.message}` : "invalid";
}

/** Checks a room event (timeline, state section, backfill) and returns what the bot may act on. */
export function parseEvent(raw: unknown): ParsedEvent {
  const parsedEnvelope = envelope.safeParse(raw);
  if (!parsedEnvelope.success) {
    const id =
      typeof raw === "object" && raw !== null
        ? parseEventId((raw as { event_id?: unknown }).event_id)
        : undefined;
    return { ok: false, eventId: id, problem: problemOf(parsedEnvelope.error) };
  }
  const e = parsedEnvelope.data;
  const base: Envelope = { eventId: e.event_id, sender: e.sender };
  const malformed = (problem: string): ParsedEvent => ({ ok: false, eventId: e.event_id, problem });
  const ok = (event: BotEvent): ParsedEvent => ({ ok: true, event });
  const ignored = ok({ ...base, type: "ignored", eventType: e.type });
  const c = e.content;

  switch (e.type) {
    case "m.room.message": {
      // Edits are not commands; a message without a text body has nothing the bot reads.
      if (c["m.new_content"] !== undefined || typeof c["body"] !== "string") return ignored;
      const body = c["body"];
      if (hasNul(body)) return malformed("body: NUL");
      if (body.length > MAX_BODY) return malformed("body: too long");
      const relation = messageRelation.safeParse(c["m.relates_to"]);
      if (!relation.success) return malformed(`m.relates_to.${problemOf(relation.error)}`);
      return ok({
        ...base,
        type: "message",
        body,
        replyTo: relation.data?.["m.in_reply_to"]?.event_id ?? null,
      });
    }
    case "m.reaction": {
      const relation = c["m.relates_to"];
      if (typeof relation !== "object" || relation === null) return ignored;
      if ((relation as { rel_type?: unknown }).rel_type !== "m.annotation") return ignored;
      const parsed = annotation.safeParse(relation);
      if (!parsed.success) return malformed(`m.relates_to.${problemOf(parsed.error)}`);
      return ok({ ...base, type: "reaction", target: parsed.data.event_id, key: parsed.data.key });
    }
    case "m.room.redaction": {
      // Room v11+ carries the target in the content; servers copy it to the top level for older clients.
      const given = c["redacts"] ?? e.redacts;
      if (given === undefined) return ignored;
      const target = parseEventId(given);
      return target ? ok({ ...base, type: "redaction", target }) : malformed("redacts: not an event id");
    }
    case "m.room.power_levels":
      return e.state_key === ""
        ? ok({ ...base, type: "power_levels", levels: parsePowerLevels(c) })
        : ignored;
    case "m.room.member": {
      const member = parseUserId(e.state_key);
      if (!member) return malformed("state_key: not a user id");
      const membership = c["membership"];
      if (typeof membership !== "string" || hasNul(membership)) return malformed("membership: not a string");
      return ok({ ...base, type: "member", userId: member, membership });
    }
    case "m.room.create": {
      if (e.state_key !== "") return ignored;
      const version = typeof c["room_version"] === "string" ? c["room_version"] : "1";
      const additional = Array.isArray(c["additional_creators"]) ? c["additional_creators"] : [];
      return ok({
        ...base,
        type: "create",
        roomVersion: version,
        additionalCreators: additional.map((id) => parseUserId(id)).filter((id) => id !== undefined),
      });
    }
    case "m.room.encryption":
      return e.state_key === "" ? ok({ ...base, type: "encryption" }) : ignored;
    default:
      return ignored;
  }
}

/** The event id of a raw event, if it has a valid one (to de-duplicate backfilled events). */
export function eventIdOf(raw: unknown): EventId | undefined {
  return typeof raw === "object" && raw !== null
    ? parseEventId((raw as { event_id?: unknown }).event_id)
    : undefined;
}
