// Local mode's account creation for the provisioning job: the account row is the account.
import type { PasswordHasher } from "../crypto/index.ts";
import type { Db } from "../db/database.ts";
import { createLocalAccount } from "../db/local-account.repository.ts";
import { AppError } from "../errors.ts";
import type { LocalAccountProvisioner } from "../homeserver/provision.ts";
import { displayNameOf } from "../registration/types.ts";

export function createLocalProvisioner(deps: {
  db: Db;
  hasher: () => Promise<PasswordHasher>;
}): LocalAccountProvisioner {
  return {
    async createAccount(request, { passwordHash }, now) {
      const result = await createLocalAccount(deps.db, {
        localpart: request.localpart,
        email: request.email,
        displayName: displayNameOf(request),
        passwordHash,
        requestId: request.id,
        now,
      });
      if (!result.created && !result.ownedByRequest) {
        throw new AppError("rejected", `a local account named ${request.localpart} already exists`);
      }
    },
    async hashPassword(password) {
      return (await deps.hasher()).hash(password);
    },
  };
}
