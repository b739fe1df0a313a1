// Room events → the domain. Every event is parsed first (events.ts); then: state events keep the room facts
// current, reactions and redactions become votes, and every command gets an answer — its result, a refusal (not
// permitted, unknown command), an argument error with the usage, or, when it failed, the public message with an
// incident id. Outages are not answered here: they propagate, the sync batch is handled again later, and the
// command is answered then. See commands/framework.ts (ClaimRule) for when an event counts as handled.
import { incidentId } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import { castVote, withdrawVote, type TransitionSettings } from "../registration/transitions.ts";
import { parseUserId, type EventId, type RoomId, type UserId } from "../registration/types.ts";
import {
  matchCommand,
  parseArguments,
  parseCommandLine,
  type Command,
  type CommandLine,
  type Match,
  type Permission,
} from "./commands/framework.ts";
import { parseEvent, type BotEvent } from "./events.ts";
import { isInfrastructureError } from "./failures.ts";
import type { RoomMessenger } from "./messenger.ts";
import { botKeys, type BotStore } from "./ports.ts";
import { plain, type RenderedMessage } from "./render/content.ts";
import type { RenderContext } from "./render/context.ts";
import {
  renderArgumentProblem,
  renderFailure,
  renderGroupUsage,
  renderNotPermitted,
  renderUnknownCommand,
} from "./render/replies.ts";
import type { RoomFacts } from "./room-facts.ts";

const APPROVE_KEYS = new Set(["✅", "👍", "✔", "☑", "🆗"]);
const DECLINE_KEYS = new Set(["❌", "👎", "✖", "❎", "🚫"]);

/** Reaction keys come with variation selectors and skin tones; compare the bare emoji. */
export function voteOfReaction(key: string): "approve" | "decline" | null {
  // Variation selectors and skin-tone modifiers, removed one alternative at a time (not a character class, where
  // they would combine with their neighbours).
  const bare = key.replace(/\uFE0E|\uFE0F|\u{1F3FB}|\u{1F3FC}|\u{1F3FD}|\u{1F3FE}|\u{1F3FF}/gu, "").trim();
  if (APPROVE_KEYS.has(bare)) return "approve";
  if (DECLINE_KEYS.has(bare)) return "decline";
  return null;
}

export interface DispatchDeps {
  botUserId: UserId;
  prefix: string;
  /** bot.refusalNoticeSeconds: how often someone who is not a moderator is told no. */
  refusalIntervalMs: number;
  store: RegistrationStore;
  settings: Pick<TransitionSettings, "approvalsRequired" | "declinesRequired">;
  state: BotStore;
  facts: RoomFacts;
  messenger: RoomMessenger;
  commands: readonly Command[];
  renderContext(now: Date): RenderContext;
  /** Given the right with !allow (permission "tokens"). */
  mayUseTokens(userId: UserId): Promise<boolean>;
  clock: () => Date;
  logger: Logger;
  /** Power levels or membership of the moderators' room changed (rights caches elsewhere). */
  onModeratorRoomChange?: (() => void) | undefined;
  /** The moderators' room just became encrypted. */
  onEncrypted: (eventId: EventId) => Promise<void>;
}

export type DispatchOutcome =
  | { type: "handled" }
  | { type: "ignored" }
  | { type: "malformed"; eventId: EventId | undefined; problem: string };

export interface Dispatcher {
  /** Handles one event of a joined room. Throws only what it could not handle (see isInfrastructureError). */
  dispatch(roomId: RoomId, raw: unknown): Promise<DispatchOutcome>;
}

const handled: DispatchOutcome = { type: "handled" };
const ignored: DispatchOutcome = { type: "ignored" };

export function createDispatcher(deps: DispatchDeps): Dispatcher {
  const { store, state, facts, messenger } = deps;
  const log = deps.logger.child({ component: "bot" });

  async function permitted(permission: Permission, sender: UserId): Promise<boolean> {
    if (permission === "anyone" || facts.mayModerate(sender)) return true;
    return permission === "tokens" && (await deps.mayUseTokens(sender));
  }

  /**
   * Whether a refusal may be said to this sender now. Moderators always hear why; anyone else hears it once per
   * the refusal interval, so a member cannot make the bot post a notice for every reaction or command they send.
   */
  async function mayRefuse(sender: UserId, now: Date): Promise<boolean> {
    if (facts.mayModerate(sender)) return true;
    const last = Number(await state.get(botKeys.lastRefusal(sender)));
    if (Number.isFinite(last) && now.getTime() - last < deps.refusalIntervalMs && now.getTime() >= last)
      return false;
    await state.set(botKeys.lastRefusal(sender), String(now.getTime()), now);
    return true;
  }

  /** The answer to a command line, or throws (outages, and failures the caller words). */
  async function decide(
    event: BotEvent & { type: "message" },
    match: Match,
    now: Date,
  ): Promise<{ reply: RenderedMessage; refusal: boolean }> {
    const r = deps.renderContext(now);
    if (match.type === "unknown") return { reply: renderUnknownCommand(match.name, r), refusal: true };
    if (match.type === "group") {
      const allowed = await permitted(match.commands[0]!.permission, event.sender);
      return allowed
        ? { reply: renderGroupUsage(match.commands, r), refusal: false }
        : { reply: renderNotPermitted(event.sender, r), refusal: true };
    }
    const { command, args } = match;
    // Before the arguments: someone who may not run a command learns nothing about its arguments either.
    if (!(await permitted(command.permission, event.sender)))
      return { reply: renderNotPermitted(event.sender, r), refusal: true };
    const repliedTo =
      command.usesReply && event.replyTo
        ? ((await store.findRequestByRoomEvent(event.replyTo))?.id ?? null)
        : null;
    const parsed = parseArguments(command, args, { repliedTo });
    if (!parsed.ok) return { reply: renderArgumentProblem(parsed.problem, command, r), refusal: false };
    const render = await command.invoke(parsed.args, { sender: event.sender, eventId: event.eventId, now });
    return { reply: render(r), refusal: false };
  }

  async function handleCommand(roomId: RoomId, event: BotEvent & { type: "message" }, line: CommandLine) {
    const match = matchCommand(line, deps.commands);
    // A command that claims in its own transaction runs again on a replay (and answers from the state); anything
    // else was answered before it was claimed, so a claimed event is done.
    const claimsItself = match.type === "command" && match.command.claim === "transaction";
    if (!claimsItself && (await state.isHandled(event.eventId))) return;
    const now = deps.clock();
    let reply: RenderedMessage | null;
    try {
      const decided = await decide(event, match, now);
      reply = decided.refusal && !(await mayRefuse(event.sender, now)) ? null : decided.reply;
    } catch (error) {
      if (isInfrastructureError(error)) throw error;
      const incident = incidentId();
      log.error(
        {
          err: error,
          incident,
          eventId: event.eventId,
          command: match.type === "command" ? match.command.id : null,
        },
        "command failed",
      );
      reply = renderFailure(error, incident, deps.renderContext(now));
    }
    if (reply) await messenger.reply(roomId, event.eventId, reply);
    // A no-op for commands whose transaction claimed the event already.
    await state.claim(event.eventId, deps.clock());
    log.debug({ eventId: event.eventId, sender: event.sender }, "command answered");
  }

  async function handleMessage(
    roomId: RoomId,
    event: BotEvent & { type: "message" },
  ): Promise<DispatchOutcome> {
    const line = parseCommandLine(event.body, deps.prefix);
    if (!line) return ignored;
    if (roomId !== facts.roomId) {
      // The bot only joins its own room, but it is in the direct rooms it made (portal links, welcome messages).
      if (await state.isHandled(event.eventId)) return handled;
      const now = deps.clock();
      const r = deps.renderContext(now);
      if (await mayRefuse(event.sender, now))
        await messenger.reply(roomId, event.eventId, plain(r.messages.refusals.onlyInModeratorRoom));
      await state.claim(event.eventId, deps.clock());
      return handled;
    }
    await handleCommand(roomId, event, line);
    return handled;
  }

  async function handleReaction(event: BotEvent & { type: "reaction" }): Promise<DispatchOutcome> {
    const decision = voteOfReaction(event.key);
    if (!decision) return ignored;
    const request = await store.findRequestByRoomEvent(event.target);
    if (!request) return ignored;
    if (!facts.mayModerate(event.sender)) {
      if (await state.isHandled(event.eventId)) return handled;
      const now = deps.clock();
      if (await mayRefuse(event.sender, now))
        await messenger.notice(
          renderNotPermitted(event.sender, deps.renderContext(now)),
          `notmod-${event.eventId}`,
        );
      await state.claim(event.eventId, deps.clock());
      return handled;
    }
    const result = await castVote(
      store,
      deps.settings,
      {
        id: request.id,
        voter: event.sender,
        decision,
        source: "reaction",
        eventId: event.eventId,
        handledEventId: event.eventId,
      },
      deps.clock(),
    );
    if (result.ok)
      log.info(
        { requestId: request.id, voter: event.sender, decision, outcome: result.outcome },
        "vote by reaction",
      );
    return handled;
  }

  async function handleRedaction(event: BotEvent & { type: "redaction" }): Promise<DispatchOutcome> {
    const vote = await store.findVoteByEvent(event.target);
    const voter = parseUserId(vote?.voter);
    // Only the voter takes a vote back: a redaction by someone else (a room admin tidying up) leaves it.
    if (!vote || !voter || voter !== event.sender) return ignored;
    const result = await withdrawVote(
      store,
      { id: vote.requestId, voter, eventId: event.target, handledEventId: event.eventId },
      deps.clock(),
    );
    if (result.ok && result.withdrawn)
      log.info({ requestId: vote.requestId, voter }, "vote withdrawn (reaction redacted)");
    return handled;
  }

  return {
    async dispatch(roomId, raw) {
      const parsed = parseEvent(raw);
      if (!parsed.ok) return { type: "malformed", eventId: parsed.eventId, problem: parsed.problem };
      const event = parsed.event;
      const inModeratorRoom = roomId === facts.roomId;
      if (inModeratorRoom) {
        switch (event.type) {
          case "power_levels":
          case "member":
          case "create":
            if (facts.apply(event) === "moderators") deps.onModeratorRoomChange?.();
            return handled;
          case "encryption":
            if (facts.apply(event) === "encrypted") await deps.onEncrypted(event.eventId);
            return handled;
          default:
            break;
        }
      }
      if (event.sender === deps.botUserId) return ignored;
      if (event.type === "message") return handleMessage(roomId, event);
      if (!inModeratorRoom) return ignored;
      if (event.type === "reaction") return handleReaction(event);
      if (event.type === "redaction") return handleRedaction(event);
      return ignored;
    },
  };
}
