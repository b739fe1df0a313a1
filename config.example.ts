// Vestibule configuration. Copy to config.ts (or point --config / VESTIBULE_CONFIG at your copy) and edit.
// Every key is optional: omitted keys take the defaults shown here. Every key can also be set from the
// environment: VESTIBULE_ + the key path in upper snake case (homeserver.adminToken → VESTIBULE_HOMESERVER_ADMIN_TOKEN);
// secrets also accept …_FILE, naming a file that holds the value. `vestibule check-config` shows the result.
import { defineConfig } from "./src/config/index.ts";

export default defineConfig({
  // Base of every link in emails and bot messages: where applicants reach this service.
  publicUrl: "https://join.example.org",
  // Embedded database files (when database.url is unset) and .eml mail files (when mail.smtp is unset).
  dataDir: "./data",
  log: {
    // trace | debug | info | warn | error | fatal | silent. Logs are JSON lines on stdout.
    level: "info",
  },
  web: {
    // The public site (role web).
    listen: "0.0.0.0:8080",
    // Reverse proxies whose X-Forwarded-For header is trusted (IPs or CIDRs). From anyone else it is ignored.
    trustedProxies: [],
    // Who may read GET /metrics and the details of /healthz (IPs or CIDRs of the client; behind a trusted proxy the
    // forwarded address counts); an empty list allows everyone. Everyone else gets a bare status from /healthz.
    metricsAllowFrom: ["127.0.0.0/8", "::1/128"],
    // Instead of the list: a bearer token (at least 16 characters) that /metrics and detailed /healthz require.
    metricsToken: undefined,
    // Per-client-IP limits, shared by all instances through the database.
    rateLimits: {
      register: { points: 5, windowSeconds: 3600 }, // sign-up submissions
      usernameCheck: { points: 60, windowSeconds: 60 }, // live username checks
      verify: { points: 20, windowSeconds: 3600 }, // email confirmations
      passwordSet: { points: 10, windowSeconds: 3600 }, // set-password attempts
      inviteCheck: { points: 30, windowSeconds: 60 }, // invitation pages opened (each asks the homeserver)
    },
    // IPv6 clients are limited per network of this prefix (a subscriber usually holds a whole /64).
    ipv6Prefix: 64,
  },
  portal: {
    // The moderators' portal (/admin). A moderator signs in with a one-time link (!login in the moderators' room)
    // and stays signed in this long; every page checks again that they are still a moderator.
    sessionHours: 2,
    // How long one such check is trusted (the bot's sync ends it early when power levels or members change).
    rightsCacheSeconds: 30,
  },
  internal: {
    // The internal API for Synapse (rest-auth) and mxisd/ma1sd, used in local mode. Keep it off the internet.
    listen: "127.0.0.1:8091",
    // When set, callers must send "Authorization: Bearer <secret>". At least 16 characters.
    secret: undefined,
    // Largest request body accepted.
    maxBodyBytes: 65536,
    restAuth: {
      // Answer check_credentials with display name and email (old setups). Current Synapse needs "profile": {}.
      sendProfile: false,
    },
    directory: {
      maxResults: 50, // results before the answer says `limited`
      minTermLength: 1, // shortest search term answered
    },
    // Most lookups in one identity/bulk request.
    bulkLookupMax: 1000,
    // Limits on password checks (internal/README.md "Password checks under load").
    loginThrottle: {
      accountFailures: 10, // failures of one account per window before its checks fail at once
      sourceFailures: 300, // failures per calling address per window before recently failed accounts are refused
      windowSeconds: 300,
      maxQueued: 64, // verifications waiting for a hashing worker; more are answered as failures
      perAccountConcurrency: 2, // checks of one account at once
    },
  },
  database: {
    // Unset: embedded PGlite under dataDir (one process). For several instances: "postgres://user:pass@host/db".
    url: undefined,
    // PostgreSQL connections per instance.
    poolSize: 10,
  },
  homeserver: {
    // Client-server API of the homeserver, and its server_name.
    url: "http://localhost:8008",
    serverName: "localhost",
    // synapse: accounts are created with the admin API (or shared-secret registration);
    // token: approval creates a one-time registration token and the applicant registers on our page;
    // local: Vestibule keeps the accounts; Synapse asks it to check passwords (see internal/).
    mode: "synapse",
    // Access token of a server admin: display name, email 3PID, room joins, password links. Preferred.
    adminToken: undefined,
    // Synapse's registration_shared_secret: enough to create accounts when no admin token is available.
    registrationSharedSecret: undefined,
    // Rooms (IDs or aliases) every new account joins.
    autoJoinRooms: [],
    // A message the bot sends each new account, when set.
    welcomeMessage: undefined,
    // Timeout of each call to the homeserver.
    requestTimeoutMs: 10000,
    // Transient failures tolerated when creating one account before the request is marked failed.
    provisioningMaxAttempts: 12,
  },
  bot: {
    // Run the moderator bot (role bot).
    enabled: true,
    // The bot's account, and how it logs in (an access token, or a password).
    userId: "@vestibule:localhost",
    accessToken: undefined,
    password: undefined,
    // Device ID to log in with; when unset the bot keeps the one it got the first time.
    deviceId: undefined,
    // The moderators' room (ID or alias). Invite the bot; it joins by itself.
    moderatorRoom: "#moderators:localhost",
    // Votes and commands count from members at or above this power level.
    moderatorPowerLevel: 50,
    // How many ✅ approve, and how many ❌ decline, a request.
    approvalsRequired: 1,
    declinesRequired: 1,
    // Commands start with this: !approve, !decline, !pending, …
    commandPrefix: "!",
    // Someone who is not a moderator is told at most once in this many seconds that the bot refuses (0: always).
    refusalNoticeSeconds: 600,
    // Language of what the bot says in the room: "en" or "de" (unset: i18n.defaultLocale).
    locale: undefined,
    // Remind the room of requests pending longer than this.
    reminderAfterHours: 24,
  },
  mail: {
    // Sender of every email.
    from: "Vestibule <noreply@example.org>",
    // Unset: emails are written as .eml files to dataDir/mail (the log says where). For real mail:
    // smtp: { host: "smtp.example.org", port: 587, secure: false, starttls: true, user: "vestibule", password: "…" },
    smtp: undefined,
    // Gets a notice for each newly verified request.
    adminEmail: undefined,
  },
  registration: {
    // How approved applicants get in: "link" (one-time set-password link) or "password" (one-time password by email).
    credentials: "link",
    // Ask for the password on the form instead; it is kept encrypted (secrets.key) until the account exists.
    collectPassword: false,
    // The note/reason field is required.
    requireReason: true,
    // Documents the applicant must accept, one checkbox each: [{ title: "Terms", url: "https://…" }].
    legal: [],
    username: {
      minLength: 3,
      maxLength: 32,
      // Names nobody may take.
      reserved: ["admin", "root", "moderator"],
      // Regular expressions no username may match, e.g. "^support".
      bannedPatterns: [],
    },
    // Least time between two requests for one email address.
    emailCooldownSeconds: 3600,
    // Allow several live requests (and accounts) per email address.
    allowMultipleAccountsPerEmail: false,
    // How long an email verification link works.
    verificationValidityHours: 48,
    // How long set-password and registration links work.
    linkValidityHours: 168,
    password: {
      // Shortest password the set-password page accepts.
      minLength: 10,
    },
    // Verified sign-ups through an invite link (/invite/TOKEN) skip moderation.
    invitesSkipReview: true,
    // A shared registration token that rotates every day, for homeservers without an admin API:
    // rotatingToken: { file: "/etc/conduwuit/registration_token", time: "04:00", closedMinutes: 10, length: 24 },
    rotatingToken: undefined,
    retention: {
      // Unverified requests are deleted after this many hours.
      unverifiedHours: 48,
      // Declined, provisioned and failed requests lose their personal data after this many days.
      decidedDays: 30,
    },
  },
  accounts: {
    // argon2id cost for local-mode passwords: "interactive" | "moderate" | "sensitive" | a number.
    pwhash: { opsLimit: "interactive", memLimit: "interactive" },
  },
  jobs: {
    // Cron expressions (UTC; 5 fields, or 6 with seconds first).
    outbox: "*/30 * * * * *", // safety net; the outbox is also drained right after each change
    provisioningRetries: "* * * * *",
    reminders: "0 * * * *",
    cleanup: "17 3 * * *",
    // Retry delays of failed side effects: exponential from retryBaseSeconds up to retryMaxSeconds, with jitter.
    retryBaseSeconds: 2,
    retryMaxSeconds: 900,
    // A worker holds a claimed outbox row this long; if it dies, another instance takes the row afterwards.
    leaseSeconds: 120,
  },
  i18n: {
    // "en" | "de": the language when neither ?lang=, the cookie, nor Accept-Language decide.
    defaultLocale: "en",
  },
  secrets: {
    // 32 random bytes, base64 (`vestibule keygen`). Required for collectPassword and credentials: "password".
    key: undefined,
  },
});
