// One search column (localpart and display name, lower-cased) with one trigram index (fastupdate off: accounts are
// created rarely, searches often, and a growing pending list would slow every search): a name search is then one
// index scan instead of two combined, which halves its cost on large directories.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table local_account add column search_text text generated always as (lower(localpart || ' ' || coalesce(display_name, ''))) stored`.execute(
    db,
  );
  await sql`create index local_account_search_trgm on local_account using gin (search_text gin_trgm_ops) with (fastupdate = off)`.execute(
    db,
  );
  await sql`drop index if exists local_account_localpart_trgm`.execute(db);
  await sql`drop index if exists local_account_display_name_trgm`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create index local_account_localpart_trgm on local_account using gin (localpart gin_trgm_ops)`.execute(
    db,
  );
  await sql`create index local_account_display_name_trgm on local_account using gin (lower(coalesce(display_name, '')) gin_trgm_ops)`.execute(
    db,
  );
  await sql`drop index if exists local_account_search_trgm`.execute(db);
  await sql`alter table local_account drop column search_text`.execute(db);
}
