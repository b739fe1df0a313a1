// Requests made straight through the domain transitions (no web round trip), for tests and benchmarks that need
// many pending requests fast. Free of vitest, so benchmarks can use it too.
import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../src/db/schema.ts";
import { insertSecretToken } from "../../src/db/secret-token.repository.ts";
import type { RegistrationStore } from "../../src/registration/ports.ts";
import { submitRequest, verifyEmail, type TransitionSettings } from "../../src/registration/transitions.ts";
import type { EmailAddress, Localpart, RequestId } from "../../src/registration/types.ts";

/** The transition settings of a default synapse-mode config with one vote deciding. */
export const oneVoteSettings: TransitionSettings = {
  adminEmail: undefined,
  approvalsRequired: 1,
  declinesRequired: 1,
  mode: "synapse",
  credentials: "link",
  invitesSkipReview: true,
};

/** A verified (pending) request named `<prefix>-<random>`, made through the same transitions the site uses. */
export async function pendingRequest(
  db: Kysely<Database>,
  store: RegistrationStore,
  prefix: string,
  settings: TransitionSettings = oneVoteSettings,
): Promise<{ id: RequestId; localpart: string; email: string }> {
  const localpart = `${prefix}-${randomBytes(4).toString("hex")}`;
  const email = `${localpart}@example.org`;
  const submitted = await submitRequest(
    store,
    {
      localpart: localpart as Localpart,
      email: email as EmailAddress,
      emailIsExclusive: true,
      firstName: "Load",
      lastName: "Test",
      note: "",
      locale: "en",
      clientIp: null,
      passwordCiphertext: null,
      origin: "form",
      inviteToken: null,
    },
    new Date(),
  );
  if (!submitted.ok) throw new Error(`submitting ${localpart} failed: ${submitted.conflict} taken`);
  const hash = createHash("sha256").update(randomBytes(32)).digest();
  await insertSecretToken(db, {
    hash,
    purpose: "verify_email",
    requestId: submitted.request.id,
    expiresAt: null,
    now: new Date(),
  });
  const verified = await verifyEmail(store, settings, hash, new Date());
  if (!verified.ok) throw new Error(`verifying ${localpart} failed: ${verified.reason}`);
  return { id: submitted.request.id, localpart, email };
}

/** True when this service process currently runs the bot and sits in its room (GET /healthz). */
export async function runsBot(serviceUrl: string): Promise<boolean> {
  const health = (await (await fetch(`${serviceUrl}/healthz`)).json()) as {
    components: Record<string, { detail?: string }>;
  };
  return health.components["bot"]?.detail?.startsWith("in ") ?? false;
}
