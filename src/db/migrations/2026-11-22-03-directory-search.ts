// Trigram indexes so mxisd/ma1sd directory searches (case-insensitive substrings) stay fast with many accounts.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`create index local_account_localpart_trgm on local_account using gin (localpart gin_trgm_ops)`.execute(
    db,
  );
  await sql`create index local_account_display_name_trgm on local_account using gin (lower(coalesce(display_name, '')) gin_trgm_ops)`.execute(
    db,
  );
  await sql`create index local_account_email_trgm on local_account using gin (lower(coalesce(email, '')) gin_trgm_ops)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists local_account_email_trgm`.execute(db);
  await sql`drop index if exists local_account_display_name_trgm`.execute(db);
  await sql`drop index if exists local_account_localpart_trgm`.execute(db);
}
