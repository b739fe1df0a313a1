// The rotating shared registration token (registration.rotatingToken), for homeservers that read their token from
// a file: at the configured UTC time a new random token is made and written to the file atomically.
import { randomInt } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Db } from "../db/database.ts";
import {
  deleteRotatingTokensBefore,
  ensureRotatingToken,
  findRotatingToken,
} from "../db/rotating-token.repository.ts";
import { rotationWindow, type RotationSettings } from "../registration/rotating-token.ts";

export interface RotatingTokenSettings extends RotationSettings {
  file: string;
  length: number;
}

export interface RotateSummary {
  validFrom: string;
  /** This run made the period's token (false: another run or instance already had). */
  created: boolean;
  /** The file did not hold the current token and was rewritten. */
  fileWritten: boolean;
}

const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

function newToken(length: number): string {
  let token = "";
  for (let i = 0; i < length; i++) token += alphabet[randomInt(alphabet.length)];
  return token;
}

/** Writes via a temporary file and a rename, so the homeserver never reads half a token. */
async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o640 });
  await rename(temporary, file);
}

export async function rotateToken(
  deps: { db: Db; settings: RotatingTokenSettings },
  now: Date,
): Promise<RotateSummary> {
  const window = rotationWindow(now, deps.settings);
  const { token, created } = await ensureRotatingToken(
    deps.db,
    window.validFrom,
    () => newToken(deps.settings.length),
    now,
  );
  const current = await readFile(deps.settings.file, "utf8").catch(() => null);
  let fileWritten = false;
  if (current?.trim() !== token) {
    await writeAtomically(deps.settings.file, `${token}\n`);
    fileWritten = true;
  }
  // Keep a week of history for support questions; older tokens are useless.
  await deleteRotatingTokensBefore(deps.db, new Date(window.validFrom.getTime() - 7 * 86_400_000));
  return { validFrom: window.validFrom.toISOString(), created, fileWritten };
}

/** Today's token for an applicant who asked for it, or why there is none right now. */
export async function currentRotatingToken(
  db: Db,
  settings: RotatingTokenSettings,
  now: Date,
): Promise<
  { ok: true; token: string; validUntil: Date } | { ok: false; reason: "closed" | "not_ready"; opensAt: Date }
> {
  const window = rotationWindow(now, settings);
  if (window.closed) return { ok: false, reason: "closed", opensAt: window.nextRotation };
  const token = await findRotatingToken(db, window.validFrom);
  if (!token) return { ok: false, reason: "not_ready", opensAt: new Date(now.getTime() + 60_000) };
  return { ok: true, token, validUntil: window.nextRotation };
}
