// The moderation core's deps over a test database, the way start.ts builds them, with our own fakes where a test
// needs to control the homeserver (only narrow interfaces of our own: InviteHomeserver, ModeratorRights).
import { createModerationStores } from "../../src/db/moderation.stores.ts";
import { createRegistrationStore } from "../../src/db/registration.store.ts";
import type { Db } from "../../src/db/database.ts";
import type { ModerationDeps } from "../../src/moderation/index.ts";
import type { InviteHomeserver, RegistrationToken } from "../../src/moderation/ports.ts";
import type { ModeratorRights, RightsResult } from "../../src/moderation/rights.ts";
import { parseUserId, type UserId } from "../../src/registration/types.ts";

/** Rights a test sets per user; everyone else is no moderator. `down` makes every check "unknown". */
export function scriptedRights(): ModeratorRights & {
  set(userId: string, result: RightsResult): void;
  down: boolean;
  checks: number;
} {
  const results = new Map<string, RightsResult>();
  const rights = {
    down: false,
    checks: 0,
    set(userId: string, result: RightsResult) {
      results.set(userId, result);
    },
    check(userId: string): Promise<RightsResult> {
      rights.checks++;
      if (rights.down)
        return Promise.resolve({ ok: false, reason: "unavailable", detail: "homeserver down (test)" });
      return Promise.resolve(
        results.get(userId) ?? { ok: true, moderator: false, powerLevel: 0, membership: null },
      );
    },
    invalidate() {},
  };
  return rights;
}

export const moderator: RightsResult = { ok: true, moderator: true, powerLevel: 50, membership: "join" };

/** An in-memory registration-token API with Synapse's semantics for what Vestibule uses. */
export function memoryTokenApi(): InviteHomeserver & { tokens: Map<string, RegistrationToken> } {
  const tokens = new Map<string, RegistrationToken>();
  return {
    tokens,
    createRegistrationToken(input) {
      const token: RegistrationToken = {
        token: input.token ?? `t${tokens.size}`,
        usesAllowed: input.usesAllowed ?? null,
        pending: 0,
        completed: 0,
        expiryTime: input.expiryTime ?? null,
      };
      tokens.set(token.token, token);
      return Promise.resolve(token);
    },
    listRegistrationTokens(filter = {}) {
      const now = Date.now();
      const all = [...tokens.values()];
      const valid = (t: RegistrationToken) =>
        (t.expiryTime === null || t.expiryTime > now) &&
        (t.usesAllowed === null || t.completed < t.usesAllowed);
      return Promise.resolve(filter.valid === undefined ? all : all.filter((t) => valid(t) === filter.valid));
    },
    getRegistrationToken(token) {
      return Promise.resolve(tokens.get(token) ?? null);
    },
    deleteRegistrationToken(token) {
      return Promise.resolve(tokens.delete(token));
    },
  };
}

export function testModerationDeps(db: Db, overrides: Partial<ModerationDeps> = {}): ModerationDeps {
  return {
    ...createModerationStores(db),
    homeserver: memoryTokenApi(),
    store: createRegistrationStore(db),
    settings: {
      adminEmail: undefined,
      approvalsRequired: 1,
      declinesRequired: 1,
      mode: "synapse",
      credentials: "link",
      invitesSkipReview: false,
    },
    rights: scriptedRights(),
    portal: { sessionHours: 2, loginMinutes: 10, publicUrl: "https://join.example.org/" },
    publicUrl: "https://join.example.org",
    clock: () => new Date(),
    ...overrides,
  };
}

/** A user ID for tests, parsed like any other (a typo in a test fails loudly instead of slipping through a cast). */
export function uid(text: string): UserId {
  const parsed = parseUserId(text);
  if (!parsed) throw new Error(`not a user ID: ${text}`);
  return parsed;
}
