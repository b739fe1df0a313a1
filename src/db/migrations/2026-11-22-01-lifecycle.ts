// The whole registration lifecycle schema. Frozen once shipped: change the schema with a new migration.
// Written against Kysely<any> and importing no application code, so it means the same thing forever.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("registration_request")
    .addColumn("id", "integer", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("state", "text", (c) =>
      c
        .notNull()
        .check(sql`state in ('unverified', 'pending', 'approved', 'provisioned', 'declined', 'failed')`),
    )
    // The Matrix localpart asked for. Kept after personal data is removed: the name stays reserved.
    .addColumn("localpart", "text", (c) => c.notNull())
    // Normalised email address; null once personal data is removed.
    .addColumn("email", "text")
    // Equals `email` when the request counts towards "one live request per email" (set at submission from
    // registration.allowMultipleAccountsPerEmail), else null. A unique index makes the rule race-free.
    .addColumn("email_key", "text")
    .addColumn("first_name", "text")
    .addColumn("last_name", "text")
    .addColumn("note", "text")
    .addColumn("locale", "text", (c) => c.notNull().defaultTo("en"))
    .addColumn("client_ip", "text")
    // libsodium secretbox (nonce || ciphertext) of the password typed on the form (collectPassword).
    .addColumn("password_ciphertext", "bytea")
    // Which way the request came in: the public form, an invite token page, the rotating token.
    .addColumn("origin", "text", (c) =>
      c
        .notNull()
        .defaultTo("form")
        .check(sql`origin in ('form', 'invite')`),
    )
    // The homeserver registration token an invite sign-up used (issue 8).
    .addColumn("invite_token", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("verified_at", "timestamptz")
    .addColumn("decided_at", "timestamptz")
    // Matrix user ID (or "cli:<user>", "portal:<user>") of whoever decided.
    .addColumn("decided_by", "text")
    .addColumn("decision_reason", "text")
    .addColumn("provisioned_at", "timestamptz")
    .addColumn("failed_at", "timestamptz")
    .addColumn("failure_reason", "text")
    // The full Matrix user ID once the account exists.
    .addColumn("user_id", "text")
    // The moderator-room message that shows this request (bot).
    .addColumn("room_id", "text")
    .addColumn("room_event_id", "text")
    // Set when retention removed the personal data.
    .addColumn("scrubbed_at", "timestamptz")
    .execute();

  // A username is reserved from submission on: no two requests that are not declined share a localpart.
  await sql`create unique index registration_request_live_localpart on registration_request (localpart) where state <> 'declined'`.execute(
    db,
  );
  await sql`create unique index registration_request_live_email on registration_request (email_key) where state <> 'declined' and email_key is not null`.execute(
    db,
  );
  await sql`create index registration_request_state on registration_request (state, created_at)`.execute(db);
  await sql`create index registration_request_email on registration_request (email, created_at)`.execute(db);
  await sql`create unique index registration_request_room_event on registration_request (room_event_id) where room_event_id is not null`.execute(
    db,
  );

  // One-time and long-lived secrets handed to people. Only a SHA-256 of the token is stored.
  await db.schema
    .createTable("secret_token")
    .addColumn("hash", "bytea", (c) => c.primaryKey())
    .addColumn("purpose", "text", (c) =>
      c
        .notNull()
        .check(
          sql`purpose in ('verify_email', 'status', 'set_password', 'token_register', 'admin_login', 'admin_session')`,
        ),
    )
    .addColumn("request_id", "integer", (c) => c.references("registration_request.id").onDelete("cascade"))
    // Who the token is for when it is not a request (a moderator's user ID, a local account's localpart).
    .addColumn("subject", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz")
    .addColumn("used_at", "timestamptz")
    .execute();
  await sql`create index secret_token_request on secret_token (request_id, purpose)`.execute(db);
  await sql`create index secret_token_expiry on secret_token (expires_at)`.execute(db);

  // One vote per moderator per request; a new vote from the same moderator replaces the old one.
  await db.schema
    .createTable("vote")
    .addColumn("request_id", "integer", (c) =>
      c.notNull().references("registration_request.id").onDelete("cascade"),
    )
    .addColumn("voter", "text", (c) => c.notNull())
    .addColumn("decision", "text", (c) => c.notNull().check(sql`decision in ('approve', 'decline')`))
    .addColumn("source", "text", (c) =>
      c.notNull().check(sql`source in ('reaction', 'command', 'cli', 'portal')`),
    )
    // The reaction event, so redacting it withdraws exactly this vote.
    .addColumn("event_id", "text")
    .addColumn("reason", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("vote_pkey", ["request_id", "voter"])
    .execute();
  await sql`create index vote_event on vote (event_id) where event_id is not null`.execute(db);

  // Who did what, when. No foreign key: the trail outlives deleted unverified requests' rows by design of
  // retention (it is removed explicitly with them) and survives personal-data removal.
  await db.schema
    .createTable("audit_log")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("request_id", "integer")
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("detail", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index audit_log_request on audit_log (request_id, id)`.execute(db);

  // Side effects written in the same transaction as the state change that causes them; workers drain it.
  await db.schema
    .createTable("outbox")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("request_id", "integer", (c) => c.references("registration_request.id").onDelete("cascade"))
    .addColumn("payload", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // A secret the side effect needs (a one-time password), secretbox-sealed; wiped once done.
    .addColumn("secret", "bytea")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_error", "text")
    // A worker that claimed the row holds it until then; if it dies, the row becomes due again afterwards.
    .addColumn("claimed_until", "timestamptz")
    .addColumn("claimed_by", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("completed_at", "timestamptz")
    // Given up for good (permanent error); kept for inspection.
    .addColumn("dead_at", "timestamptz")
    .execute();
  await sql`create index outbox_due on outbox (kind, next_attempt_at, id) where completed_at is null and dead_at is null`.execute(
    db,
  );
  await sql`create index outbox_request on outbox (request_id)`.execute(db);

  // Local mode: Vestibule is the credential store.
  await db.schema
    .createTable("local_account")
    .addColumn("localpart", "text", (c) => c.primaryKey())
    .addColumn("email", "text")
    .addColumn("display_name", "text")
    // argon2id string from crypto_pwhash_str; null until the owner sets a password.
    .addColumn("password_hash", "text")
    .addColumn("request_id", "integer", (c) => c.references("registration_request.id").onDelete("set null"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("password_changed_at", "timestamptz")
    .addColumn("disabled_at", "timestamptz")
    .execute();
  await sql`create index local_account_email on local_account (lower(email))`.execute(db);

  await db.schema
    .createTable("ban")
    .addColumn("id", "integer", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('ip', 'email', 'domain', 'username')`))
    // ip: address or CIDR; email: normalised address; domain: lower-case domain; username: regular expression.
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz")
    .addUniqueConstraint("ban_kind_value", ["kind", "value"])
    .execute();

  // Fixed-window counters shared by every instance.
  await db.schema
    .createTable("rate_limit")
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("window_start", "timestamptz", (c) => c.notNull())
    .addColumn("hits", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("rate_limit_pkey", ["key", "window_start"])
    .execute();
  await sql`create index rate_limit_window on rate_limit (window_start)`.execute(db);

  // Registration tokens Vestibule created on the homeserver (approvals in token mode, invites).
  await db.schema
    .createTable("homeserver_token")
    .addColumn("token", "text", (c) => c.primaryKey())
    .addColumn("purpose", "text", (c) => c.notNull().check(sql`purpose in ('approval', 'invite')`))
    .addColumn("request_id", "integer", (c) => c.references("registration_request.id").onDelete("set null"))
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("note", "text")
    .addColumn("uses_allowed", "integer")
    .addColumn("expires_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("deleted_at", "timestamptz")
    .execute();
  await db.schema
    .createTable("homeserver_token_use")
    .addColumn("token", "text", (c) => c.notNull().references("homeserver_token.token").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("used_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("homeserver_token_use_pkey", ["token", "user_id"])
    .execute();

  // The bot's own durable state: sync position, handled events, command permissions.
  await db.schema
    .createTable("bot_state")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "jsonb", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable("bot_handled_event")
    .addColumn("event_id", "text", (c) => c.primaryKey())
    .addColumn("handled_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable("bot_permission")
    // An exact user ID, or a regular expression when is_pattern.
    .addColumn("subject", "text", (c) => c.primaryKey())
    .addColumn("is_pattern", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("scope", "text", (c) => c.notNull().defaultTo("tokens"))
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "bot_permission",
    "bot_handled_event",
    "bot_state",
    "homeserver_token_use",
    "homeserver_token",
    "rate_limit",
    "ban",
    "local_account",
    "outbox",
    "audit_log",
    "vote",
    "secret_token",
    "registration_request",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
