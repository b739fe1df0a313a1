// The token service of the first version, without audit rows. The portal and the CLI use src/moderation/tokens.ts;
// this stays only while the old bot commands (src/bot/more.commands.ts, wired in start.ts) use it.
// TODO(issue 11): delete once the bot's !token goes through src/moderation/tokens.ts.
import type { Kysely } from "kysely";
import { inviteUrlFor, isTokenString, newTokenString, type TokenView } from "../moderation/tokens.ts";
import { findTokenRecords, markTokenDeleted, recordToken } from "../db/homeserver-token.repository.ts";
import type { Database } from "../db/schema.ts";
import type { HomeserverClient, RegistrationToken } from "./synapse.client.ts";

export { inviteUrlFor, isTokenString, newTokenString, type TokenView };

export interface TokenServiceDeps {
  db: Kysely<Database>;
  homeserver: HomeserverClient;
  publicUrl: string;
  clock: () => Date;
}

function isValid(token: RegistrationToken, now: Date): boolean {
  const expired = token.expiryTime !== null && token.expiryTime <= now.getTime();
  const usedUp = token.usesAllowed !== null && token.pending + token.completed >= token.usesAllowed;
  return !expired && !usedUp;
}

export function createTokenService(deps: TokenServiceDeps) {
  async function views(tokens: RegistrationToken[]): Promise<TokenView[]> {
    const records = await findTokenRecords(
      deps.db,
      tokens.map((t) => t.token),
    );
    const now = deps.clock();
    return tokens.map((t) => {
      const record = records.get(t.token);
      return {
        ...t,
        inviteUrl: inviteUrlFor(deps.publicUrl, t.token),
        createdBy: record?.createdBy ?? null,
        note: record?.note ?? null,
        purpose: record?.purpose ?? "external",
        usedBy: record?.usedBy ?? [],
        valid: isValid(t, now),
      };
    });
  }

  return {
    /** Creates an invite token on the homeserver (random, 16 characters, unless `token` is given). */
    async create(input: {
      usesAllowed: number | null;
      expiresInMs: number | null;
      note: string | null;
      createdBy: string;
      token?: string;
    }): Promise<TokenView> {
      const now = deps.clock();
      const expiryTime = input.expiresInMs === null ? null : now.getTime() + input.expiresInMs;
      const created = await deps.homeserver.createRegistrationToken({
        token: input.token ?? newTokenString(),
        usesAllowed: input.usesAllowed,
        expiryTime,
      });
      await recordToken(deps.db, {
        token: created.token,
        purpose: "invite",
        requestId: null,
        createdBy: input.createdBy,
        note: input.note,
        usesAllowed: created.usesAllowed,
        expiresAt: created.expiryTime === null ? null : new Date(created.expiryTime),
        now,
      });
      const [view] = await views([created]);
      return view!;
    },

    async list(filter: { valid?: boolean } = {}): Promise<TokenView[]> {
      const tokens = await deps.homeserver.listRegistrationTokens(filter);
      return views(tokens);
    },

    async show(token: string): Promise<TokenView | null> {
      const found = await deps.homeserver.getRegistrationToken(token);
      return found ? ((await views([found]))[0] ?? null) : null;
    },

    /** Deletes on the homeserver; returns which tokens existed. */
    async delete(tokens: readonly string[]): Promise<{ deleted: string[]; missing: string[] }> {
      const deleted: string[] = [];
      const missing: string[] = [];
      for (const token of tokens) {
        if (await deps.homeserver.deleteRegistrationToken(token)) deleted.push(token);
        else missing.push(token);
        await markTokenDeleted(deps.db, token, deps.clock());
      }
      return { deleted, missing };
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
