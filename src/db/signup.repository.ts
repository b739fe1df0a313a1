// Reads the sign-up checks need: is a name already spoken for, when did an address last apply.
import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** A live request (anything not declined) or a local account holds the name. */
export async function localpartInUse(db: Kysely<Database>, localpart: string): Promise<boolean> {
  const row = await sql<{ used: boolean }>`
    select exists (select 1 from registration_request where localpart = ${localpart} and state <> 'declined')
        or exists (select 1 from local_account where localpart = ${localpart}) as used`.execute(db);
  return row.rows[0]?.used === true;
}

/** When this address last applied (any state), for registration.emailCooldownSeconds. */
export async function lastRequestFromEmail(db: Kysely<Database>, email: string): Promise<Date | null> {
  const row = await db
    .selectFrom("registration_request")
    .select((eb) => eb.fn.max("created_at").as("last"))
    .where("email", "=", email)
    .executeTakeFirst();
  return (row?.last as Date | null | undefined) ?? null;
}

/** A live (not declined) request or a local account already uses this address. */
export async function emailInUse(db: Kysely<Database>, email: string): Promise<boolean> {
  const row = await sql<{ used: boolean }>`
    select exists (select 1 from registration_request where email = ${email} and state <> 'declined')
        or exists (select 1 from local_account where lower(email) = ${email}) as used`.execute(db);
  return row.rows[0]?.used === true;
}
