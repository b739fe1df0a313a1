// The shared registration token that rotates daily (registration.rotatingToken): one row per rotation period.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("rotating_token")
    // The start of the period the token belongs to (the configured UTC time of day).
    .addColumn("valid_from", "timestamptz", (c) => c.primaryKey())
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("rotating_token").ifExists().execute();
}
