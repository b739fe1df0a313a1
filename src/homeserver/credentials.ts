// Setting an account's password from a set-password link, per homeserver.mode:
// - synapse with an admin token: the admin API (other devices stay logged in);
// - synapse with only the shared secret: log in with the derived initial password and change it (this works while
//   the initial password is unchanged: a second link after the password was set cannot succeed without an admin
//   token — say so to the operator);
// - local: a new argon2id hash in the local account.
import type { Config } from "../config/index.ts";
import type { PasswordHasher } from "../crypto/index.ts";
import type { Db } from "../db/database.ts";
import { setLocalPassword } from "../db/local-account.repository.ts";
import { AppError } from "../errors.ts";
import { userIdFor, type RegistrationRequest } from "../registration/types.ts";
import { initialPassword } from "./provision.ts";
import type { HomeserverClient } from "./synapse.client.ts";

export type PasswordSetter = (request: RegistrationRequest, password: string) => Promise<void>;

export function createPasswordSetter(deps: {
  config: Pick<Config, "homeserver">;
  db: Db;
  homeserver: HomeserverClient;
  hasher: () => Promise<PasswordHasher>;
  clock: () => Date;
}): PasswordSetter {
  const hs = deps.config.homeserver;
  return async (request, password) => {
    const userId = request.userId ?? userIdFor(request.localpart, hs.serverName);
    if (hs.mode === "local") {
      const hash = await (await deps.hasher()).hash(password);
      if (!(await setLocalPassword(deps.db, request.localpart, hash, deps.clock()))) {
        throw new AppError("not_found", `local account ${request.localpart} does not exist`);
      }
      return;
    }
    if (hs.adminToken) {
      await deps.homeserver.resetPassword(userId, password, { logoutDevices: false });
      return;
    }
    if (!hs.registrationSharedSecret)
      throw new AppError(
        "config",
        "setting a password needs homeserver.adminToken or registrationSharedSecret",
      );
    const login = await deps.homeserver.login(
      request.localpart,
      initialPassword(hs.registrationSharedSecret, request),
      {
        deviceDisplayName: "Vestibule set-password",
      },
    );
    if (!login.ok) {
      throw new AppError(
        "rejected",
        `cannot change the password of ${userId} without an admin token: its initial password was already changed`,
        {
          publicMessage: "The password was already set. Ask the moderators for help.",
        },
      );
    }
    try {
      const changed = await deps.homeserver.changePasswordWithOldPassword({
        accessToken: login.accessToken,
        userId,
        oldPassword: initialPassword(hs.registrationSharedSecret, request),
        newPassword: password,
        logoutDevices: false,
      });
      if (!changed.ok)
        throw new AppError("rejected", `the homeserver refused the new password (${changed.reason})`);
    } finally {
      await deps.homeserver.logout(login.accessToken).catch(() => undefined);
    }
  };
}
