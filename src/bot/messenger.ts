// The bot's send path: every message it sends goes through here, with a transaction id derived from what it is for,
// so a retry (outbox row, replayed event) never posts twice. Encryption (issue 13) plugs in at one seam on each
// side: `encryptIfNeeded` before a send, `decrypt` before an incoming event is parsed.
import type { EventId, RoomId, UserId } from "../registration/types.ts";
import { parseRoomId } from "../registration/types.ts";
import type { MatrixApi } from "./matrix.ts";
import { botKeys, type BotStore } from "./ports.ts";
import { noticeContent, replyContent, type RenderedMessage } from "./render/content.ts";

export type Content = Record<string, unknown>;

/** Where end-to-end encryption would sit. Today: plaintext both ways (encrypted events are not read). */
export interface EventCrypto {
  /** What goes on the wire for an event in `roomId` (m.room.encrypted in an encrypted room, with crypto). */
  encryptIfNeeded(
    roomId: RoomId,
    type: string,
    content: Content,
  ): Promise<{ type: string; content: Content }>;
  /** The cleartext of an incoming event (an m.room.encrypted one decrypted, with crypto); others unchanged. */
  decrypt(roomId: RoomId, event: unknown): Promise<unknown>;
}

export const plaintext: EventCrypto = {
  encryptIfNeeded: (_roomId, type, content) => Promise.resolve({ type, content }),
  decrypt: (_roomId, event) => Promise.resolve(event),
};

export interface RoomMessenger {
  /** The moderators' room. */
  readonly roomId: RoomId;
  send(roomId: RoomId, type: string, content: Content, txnId: string): Promise<EventId>;
  /** A notice in the moderators' room. */
  notice(message: RenderedMessage, txnId: string): Promise<EventId>;
  /** The answer to an event; one per event (the transaction id is derived from it). */
  reply(roomId: RoomId, to: EventId, message: RenderedMessage): Promise<EventId>;
  /** A message in the user's direct room with the bot (made once, then remembered). */
  direct(userId: UserId, content: Content, txnId: string): Promise<EventId>;
}

export function createMessenger(deps: {
  api: MatrixApi;
  roomId: RoomId;
  state: BotStore;
  clock: () => Date;
  crypto: EventCrypto;
}): RoomMessenger {
  async function send(roomId: RoomId, type: string, content: Content, txnId: string) {
    const wire = await deps.crypto.encryptIfNeeded(roomId, type, content);
    return deps.api.send(roomId, wire.type, wire.content, txnId);
  }

  async function directRoomFor(userId: UserId): Promise<RoomId> {
    const key = botKeys.directRoom(userId);
    const known = parseRoomId(await deps.state.get(key));
    if (known) return known;
    const created = await deps.api.createDirectRoom(userId);
    await deps.state.set(key, created, deps.clock());
    return created;
  }

  return {
    roomId: deps.roomId,
    send,
    notice: (message, txnId) => send(deps.roomId, "m.room.message", noticeContent(message), txnId),
    reply: (roomId, to, message) => send(roomId, "m.room.message", replyContent(to, message), `reply-${to}`),
    async direct(userId, content, txnId) {
      return send(await directRoomFor(userId), "m.room.message", content, txnId);
    },
  };
}
