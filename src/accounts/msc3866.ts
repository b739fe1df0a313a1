// Accounts that Synapse holds for approval (experimental MSC3866, PROTOCOLS.md §1.8): with
// `experimental_features.msc3866.enabled` and `require_approval_for_new_accounts`, a client-API registration creates
// an unapproved account that cannot log in until an admin sets `approved: true`.
//
// Uses the homeserver transport (src/homeserver/http.ts: timeouts, errcode → AppError) and checks answers with zod.
// Two Synapse behaviours shape this module:
// - without MSC3866, `?approved=false` is silently ignored and the list holds approved users — so every entry is
//   checked for `approved === false` here, and approval refuses to act when Synapse does not report the flag;
// - `PUT /_synapse/admin/v2/users/<id>` creates the user when it does not exist, so approval looks first and never
//   PUTs for an unknown ID (the window between the look and the PUT is the admin API's own).
import { z } from "zod";
import { AppError } from "../errors.ts";
import { errorFor, isOk, request, type HttpOptions, type MatrixErrorBody } from "../homeserver/http.ts";

export interface PendingUser {
  userId: string;
  displayname: string | null;
  /** Email 3PIDs (only in the single-user answer; empty in lists). */
  emails: string[];
  createdAt: Date | null;
  approved: boolean;
  deactivated: boolean;
}

export type ApproveResult =
  | { ok: true; alreadyApproved: boolean }
  | { ok: false; reason: "not_found" | "deactivated" | "msc3866_disabled" };

const enc = encodeURIComponent;

const userSchema = z.object({
  name: z.string(),
  displayname: z.string().nullable().optional(),
  creation_ts: z.number().nullable().optional(),
  approved: z.boolean().optional(),
  deactivated: z.union([z.boolean(), z.number()]).optional(),
  threepids: z.array(z.object({ medium: z.string(), address: z.string() })).optional(),
});
const listSchema = z.object({
  users: z.array(userSchema),
  next_token: z.union([z.string(), z.number()]).optional(),
});

function toPending(raw: z.infer<typeof userSchema>): PendingUser {
  const ts = raw.creation_ts;
  return {
    userId: raw.name,
    displayname: raw.displayname ?? null,
    emails: (raw.threepids ?? []).filter((t) => t.medium === "email").map((t) => t.address),
    // Older Synapse versions report seconds, newer ones milliseconds.
    createdAt: typeof ts === "number" ? new Date(ts < 1e11 ? ts * 1000 : ts) : null,
    approved: raw.approved ?? true,
    deactivated: Boolean(raw.deactivated),
  };
}

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new AppError("internal", `homeserver answered ${what} with an unexpected body`);
  return result.data;
}

/** One page of accounts waiting for approval (deactivated ones are left out, as declined). */
export async function listUnapprovedUsers(
  http: HttpOptions,
  adminToken: string,
  page: { from?: string; limit?: number } = {},
): Promise<{ users: PendingUser[]; nextToken: string | undefined }> {
  const query = new URLSearchParams({
    approved: "false",
    deactivated: "false",
    limit: String(page.limit ?? 100),
  });
  if (page.from !== undefined) query.set("from", page.from);
  const path = `/_synapse/admin/v2/users?${query.toString()}`;
  const result = await request<MatrixErrorBody>(http, "GET", path, { accessToken: adminToken });
  if (!isOk(result.status)) throw errorFor("GET", path, result);
  const body = parse(listSchema, result.body, "GET /_synapse/admin/v2/users");
  return {
    users: body.users.filter((u) => u.approved === false).map(toPending),
    nextToken: body.next_token === undefined ? undefined : String(body.next_token),
  };
}

/** One account with its emails, or null when there is no such user. `approved` is true when Synapse has no MSC3866. */
export async function getPendingUser(
  http: HttpOptions,
  adminToken: string,
  userId: string,
): Promise<PendingUser | null> {
  return (await getRaw(http, adminToken, userId))?.user ?? null;
}

async function getRaw(
  http: HttpOptions,
  adminToken: string,
  userId: string,
): Promise<{ user: PendingUser; reportsApproval: boolean } | null> {
  const path = `/_synapse/admin/v2/users/${enc(userId)}`;
  const result = await request<MatrixErrorBody>(http, "GET", path, { accessToken: adminToken });
  if (result.status === 404) return null;
  if (!isOk(result.status)) throw errorFor("GET", path, result);
  const raw = parse(userSchema, result.body, "GET /_synapse/admin/v2/users/<id>");
  return { user: toPending(raw), reportsApproval: raw.approved !== undefined };
}

/** Approves a waiting account so it can log in. Never creates one. */
export async function approveUser(
  http: HttpOptions,
  adminToken: string,
  userId: string,
): Promise<ApproveResult> {
  const current = await getRaw(http, adminToken, userId);
  if (!current) return { ok: false, reason: "not_found" };
  // Without MSC3866 Synapse ignores `approved` in a PUT: there is nothing to approve, and saying "done" would lie.
  if (!current.reportsApproval) return { ok: false, reason: "msc3866_disabled" };
  if (current.user.deactivated) return { ok: false, reason: "deactivated" };
  if (current.user.approved) return { ok: true, alreadyApproved: true };
  const path = `/_synapse/admin/v2/users/${enc(userId)}`;
  const result = await request<MatrixErrorBody>(http, "PUT", path, {
    accessToken: adminToken,
    body: { approved: true },
  });
  if (!isOk(result.status)) throw errorFor("PUT", path, result);
  return { ok: true, alreadyApproved: false };
}

/** Declines a waiting account by deactivating it. False when there was no such user. */
export async function declineUser(
  http: HttpOptions,
  adminToken: string,
  userId: string,
  options: { erase: boolean } = { erase: false },
): Promise<boolean> {
  const path = `/_synapse/admin/v1/deactivate/${enc(userId)}`;
  const result = await request<MatrixErrorBody>(http, "POST", path, {
    accessToken: adminToken,
    body: { erase: options.erase },
  });
  if (result.status === 404) return false;
  if (!isOk(result.status)) throw errorFor("POST", path, result);
  return true;
}
