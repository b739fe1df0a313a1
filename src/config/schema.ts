// The configuration: one zod schema, every key described, strict objects everywhere (a typo stops start-up and
// names the key). Omitted keys take their defaults, so an empty config runs on embedded defaults.
import { isIP } from "node:net";
import { z } from "zod";
import { isValidCron } from "../jobs/schedule.ts";
import { checkNewPattern } from "../registration/pattern.ts";

/** Keys whose values are secrets: redacted in output, and settable from a file with a `…_FILE` variable. */
export const secrets = z.registry<{ secret: true }>();
function secret<T extends z.ZodType>(schema: T, description: string): T {
  // Register the described schema itself: .describe() returns a copy, which the registry would not know.
  const described = schema.describe(description);
  secrets.add(described, { secret: true });
  return described;
}

/** A section whose keys all have defaults: an omitted section is parsed as `{}` so the inner defaults apply. */
function section<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape).prefault({} as never);
}

const listenAddress = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
    'expected "host:port", e.g. "0.0.0.0:8080" or "[::1]:8080"',
  );

/** An IPv4/IPv6 address or CIDR block. */
export const ipOrCidr = z.string().refine((value) => {
  const [address, bits, extra] = value.split("/");
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}, "expected an IP address or CIDR block such as 10.0.0.0/8 or fd00::/8");

const userId = z
  .string()
  .regex(/^@[^:\s]+:[^\s]+$/, 'expected a Matrix user ID such as "@vestibule:example.org"');
const roomRef = z
  .string()
  .regex(/^[!#][^:\s]+:[^\s]+$/, 'expected a room ID ("!abc:example.org") or alias ("#room:example.org")');
const cron = z.string().refine(isValidCron, "expected a cron expression (5 fields, or 6 with seconds first)");
const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });
const regexSource = z.string().superRefine((source, ctx) => {
  const compiled = checkNewPattern(source);
  if (!compiled.ok) ctx.addIssue({ code: "custom", message: compiled.error });
});
const rateLimit = (points: number, windowSeconds: number, what: string) =>
  section({
    points: z.int().min(1).default(points).describe(`How many ${what} one client IP may make per window.`),
    windowSeconds: z.int().min(1).default(windowSeconds).describe("Length of the window in seconds."),
  }).describe(`Rate limit for ${what}.`);
const pwhashLimit = z
  .union([z.enum(["interactive", "moderate", "sensitive"]), z.int().min(1)])
  .describe('libsodium limit: "interactive", "moderate", "sensitive", or a number (ops count / bytes).');

export const configSchema = z
  .strictObject({
    publicUrl: httpUrl
      .default("http://localhost:8080")
      .describe("Base URL of the public site; every link in emails and bot messages starts with it."),
    dataDir: z
      .string()
      .min(1)
      .default("./data")
      .describe("Directory for the embedded database and .eml mail files."),
    log: section({
      level: z
        .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
        .default("info")
        .describe("Minimum level of log lines written (JSON lines on stdout)."),
    }).describe("Logging."),
    web: section({
      listen: listenAddress
        .default("0.0.0.0:8080")
        .describe("Address the public site listens on (host:port)."),
      trustedProxies: z
        .array(ipOrCidr)
        .default([])
        .describe(
          "Reverse proxies (IPs/CIDRs) whose X-Forwarded-For is believed; from anyone else it is ignored.",
        ),
      metricsAllowFrom: z
        .array(ipOrCidr)
        .default(["127.0.0.0/8", "::1/128"])
        .describe(
          "Client IPs/CIDRs allowed to read GET /metrics and the details of /healthz (behind a trusted proxy, the forwarded client address counts); an empty list allows everyone.",
        ),
      metricsToken: secret(
        z.string().min(16).optional(),
        "When set, GET /metrics and the details of /healthz need `Authorization: Bearer <token>` instead of web.metricsAllowFrom.",
      ),
      rateLimits: section({
        register: rateLimit(5, 3600, "sign-up submissions"),
        usernameCheck: rateLimit(60, 60, "username availability checks"),
        verify: rateLimit(20, 3600, "email confirmations"),
        passwordSet: rateLimit(10, 3600, "set-password attempts"),
        inviteCheck: rateLimit(30, 60, "invitation pages opened (each asks the homeserver about the token)"),
      }).describe("Per-IP rate limits, kept in the database so they hold across instances."),
      ipv6Prefix: z
        .int()
        .min(32)
        .max(128)
        .default(64)
        .describe(
          "IPv6 clients are limited and counted per network of this prefix length (one subscriber usually holds a /64).",
        ),
    }).describe("The public web site."),
    portal: section({
      sessionHours: z
        .number()
        .positive()
        .max(24 * 30)
        .default(2)
        .describe("How long a moderator stays signed in to the portal (/admin) after using a sign-in link."),
      rightsCacheSeconds: z
        .int()
        .min(0)
        .max(3600)
        .default(30)
        .describe(
          "How long the portal trusts a check of a moderator's power level and membership in the moderators' room (the bot's sync ends it early).",
        ),
    }).describe("The moderators' web portal (/admin)."),
    internal: section({
      listen: listenAddress
        .default("127.0.0.1:8091")
        .describe(
          "Address of the internal API (rest-auth, mxisd/ma1sd); keep it on loopback or a private network.",
        ),
      secret: secret(
        z.string().min(16).optional(),
        "When set, internal API requests must carry it as a bearer token (Authorization: Bearer …).",
      ),
      maxBodyBytes: z
        .int()
        .min(1024)
        .default(65536)
        .describe("Largest request body the internal API accepts."),
      restAuth: section({
        sendProfile: z
          .boolean()
          .default(false)
          .describe(
            'Send display name and email in check_credentials answers; default "profile": {} (current Synapse).',
          ),
      }).describe("matrix-synapse-rest-auth behaviour."),
      directory: section({
        maxResults: z
          .int()
          .min(1)
          .max(1000)
          .default(50)
          .describe("Directory search results before `limited` is set."),
        minTermLength: z.int().min(1).default(1).describe("Shortest directory search term answered."),
      }).describe("mxisd/ma1sd directory search."),
      bulkLookupMax: z
        .int()
        .min(1)
        .default(1000)
        .describe("Most lookups one identity/bulk request may carry."),
      loginThrottle: section({
        accountFailures: z
          .int()
          .min(1)
          .default(10)
          .describe("Failed password checks per account within the window before further ones fail at once."),
        sourceFailures: z
          .int()
          .min(1)
          .default(300)
          .describe(
            "Failed checks per calling address within the window before accounts that failed recently are refused at once.",
          ),
        windowSeconds: z.int().min(1).default(300).describe("Window of the failure counts."),
        maxQueued: z
          .int()
          .min(0)
          .default(64)
          .describe("Password verifications waiting for a hashing worker; more are answered as failures."),
        perAccountConcurrency: z
          .int()
          .min(1)
          .default(2)
          .describe("Checks of one account running at once; more are answered as failures."),
      }).describe("Limits on password checks (check_credentials, mxisd login, the password intercept)."),
    }).describe("The internal server-to-server API (local mode)."),
    database: section({
      url: secret(
        z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'expected a "postgres://…" URL')
          .optional(),
        "PostgreSQL URL; unset uses embedded PGlite under dataDir.",
      ),
      poolSize: z.int().min(1).max(200).default(10).describe("PostgreSQL connections per instance."),
    }).describe("Where state lives."),
    homeserver: section({
      url: httpUrl.default("http://localhost:8008").describe("Client-server API base URL of the homeserver."),
      serverName: z
        .string()
        .min(1)
        .regex(/^[A-Za-z0-9.:\-[\]]+$/, "expected a server name such as example.org")
        .default("localhost")
        .describe("The homeserver's server_name (the part after the colon in user IDs)."),
      mode: z
        .enum(["synapse", "token", "local"])
        .default("synapse")
        .describe(
          "synapse: create accounts with the admin API; token: issue registration tokens; local: Vestibule is the credential store.",
        ),
      adminToken: secret(z.string().min(1).optional(), "Access token of a homeserver admin (preferred)."),
      registrationSharedSecret: secret(
        z.string().min(1).optional(),
        "Synapse registration_shared_secret, used when no admin token is set.",
      ),
      autoJoinRooms: z.array(roomRef).default([]).describe("Rooms new accounts join (IDs or aliases)."),
      welcomeMessage: z.string().min(1).optional().describe("Sent to each new account by the bot, when set."),
      requestTimeoutMs: z.int().min(100).default(10_000).describe("Timeout of each call to the homeserver."),
      provisioningMaxAttempts: z
        .int()
        .min(1)
        .default(12)
        .describe(
          "Transient failures tolerated when creating an account before the request is marked failed.",
        ),
    }).describe("The Matrix homeserver."),
    bot: section({
      enabled: z.boolean().default(true).describe("Run the moderator bot (role bot)."),
      userId: userId.default("@vestibule:localhost").describe("The bot's Matrix user ID."),
      accessToken: secret(z.string().min(1).optional(), "The bot's access token (or set bot.password)."),
      password: secret(
        z.string().min(1).optional(),
        "The bot's password, used to log in when no access token is set.",
      ),
      deviceId: z
        .string()
        .min(1)
        .optional()
        .describe("Device ID to log in with (kept across restarts when unset)."),
      moderatorRoom: roomRef.default("#moderators:localhost").describe("The moderators' room (ID or alias)."),
      moderatorPowerLevel: z.int().default(50).describe("Least power level whose votes and commands count."),
      approvalsRequired: z.int().min(1).default(1).describe("✅ votes needed to approve."),
      declinesRequired: z.int().min(1).default(1).describe("❌ votes needed to decline."),
      commandPrefix: z.string().min(1).max(5).default("!").describe("Prefix of bot commands."),
      refusalNoticeSeconds: z
        .int()
        .min(0)
        .default(600)
        .describe(
          "Someone who is not a moderator is told at most once in this many seconds that the bot refuses what they asked (0: every time).",
        ),
      locale: z
        .enum(["en", "de"])
        .optional()
        .describe("Language of everything the bot says in the room (default: i18n.defaultLocale)."),
      reminderAfterHours: z
        .number()
        .positive()
        .default(24)
        .describe("Remind moderators of requests pending this long."),
    }).describe("The moderator bot."),
    mail: section({
      from: z.string().min(3).default("Vestibule <noreply@example.org>").describe("Sender of every email."),
      smtp: z
        .strictObject({
          host: z.string().min(1).describe("SMTP server host."),
          port: z.int().min(1).max(65535).default(587).describe("SMTP server port."),
          secure: z.boolean().default(false).describe("Implicit TLS (port 465)."),
          starttls: z.boolean().default(true).describe("Require STARTTLS when not `secure`."),
          user: z.string().min(1).optional().describe("SMTP user name."),
          password: secret(z.string().min(1).optional(), "SMTP password."),
        })
        .optional()
        .describe("SMTP server; unset writes .eml files to dataDir/mail instead of sending."),
      adminEmail: z.email().optional().describe("Gets a notice for each newly verified request."),
    }).describe("Email."),
    registration: section({
      credentials: z
        .enum(["link", "password"])
        .default("link")
        .describe("link: a one-time set-password link; password: a generated one-time password by email."),
      collectPassword: z
        .boolean()
        .default(false)
        .describe("Ask for the password on the form (needs secrets.key)."),
      requireReason: z.boolean().default(true).describe("The note/reason field is required."),
      legal: z
        .array(z.strictObject({ title: z.string().min(1), url: httpUrl }))
        .default([])
        .describe("Documents the applicant must accept, one checkbox each."),
      username: section({
        minLength: z.int().min(1).default(3).describe("Shortest allowed username."),
        maxLength: z.int().min(1).max(255).default(32).describe("Longest allowed username."),
        reserved: z
          .array(z.string())
          .default(["admin", "root", "moderator"])
          .describe("Names nobody may take."),
        bannedPatterns: z
          .array(regexSource)
          .default([])
          .describe("Regular expressions no username may match."),
      }).describe("Username policy."),
      emailCooldownSeconds: z
        .int()
        .min(0)
        .default(3600)
        .describe("Least time between two requests for one address."),
      allowMultipleAccountsPerEmail: z
        .boolean()
        .default(false)
        .describe("Allow several live requests per address."),
      verificationValidityHours: z
        .number()
        .positive()
        .default(48)
        .describe("How long an email verification link works."),
      linkValidityHours: z
        .number()
        .positive()
        .default(168)
        .describe("How long set-password and registration links work."),
      password: section({
        minLength: z.int().min(8).default(10).describe("Shortest password the set-password page accepts."),
      }).describe("Password policy."),
      invitesSkipReview: z
        .boolean()
        .default(true)
        .describe("Verified invite-token sign-ups skip moderation."),
      rotatingToken: z
        .strictObject({
          file: z.string().min(1).describe("File the day's registration token is written to (atomically)."),
          time: z
            .string()
            .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected "HH:MM" (UTC)')
            .default("04:00")
            .describe("UTC time of day when a new token is made."),
          closedMinutes: z
            .int()
            .min(0)
            .max(1440)
            .default(10)
            .describe("Sign-ups close this long before rotation."),
          length: z.int().min(12).max(64).default(24).describe("Length of the token."),
        })
        .optional()
        .describe("A shared registration token that rotates daily (homeservers without an admin API)."),
      retention: section({
        unverifiedHours: z
          .number()
          .positive()
          .default(48)
          .describe("Delete unverified requests after this long."),
        decidedDays: z
          .number()
          .positive()
          .default(30)
          .describe("Remove personal data of decided requests after this long."),
      }).describe("Data retention."),
    }).describe("Sign-up policy."),
    accounts: section({
      pwhash: section({
        opsLimit: pwhashLimit.default("interactive"),
        memLimit: pwhashLimit.default("interactive"),
      }).describe("argon2id cost of local-mode password hashes."),
    }).describe("Local accounts (homeserver.mode local)."),
    jobs: section({
      outbox: cron
        .default("*/30 * * * * *")
        .describe("Safety-net schedule of the outbox drain (it also runs after each commit)."),
      provisioningRetries: cron.default("* * * * *").describe("Schedule of the provisioning retry sweep."),
      reminders: cron.default("0 * * * *").describe("Schedule of the moderator reminder."),
      cleanup: cron.default("17 3 * * *").describe("Schedule of the retention cleanup (UTC)."),
      retryBaseSeconds: z
        .number()
        .positive()
        .default(2)
        .describe("First retry delay of a failed side effect."),
      retryMaxSeconds: z
        .number()
        .positive()
        .default(900)
        .describe("Longest retry delay (exponential backoff cap)."),
      leaseSeconds: z
        .int()
        .min(5)
        .default(120)
        .describe("How long a worker holds a claimed outbox row before others may take it."),
    }).describe("Scheduled jobs."),
    i18n: section({
      defaultLocale: z
        .enum(["en", "de"])
        .default("en")
        .describe("Language when neither ?lang=, cookie nor Accept-Language decide."),
    }).describe("Languages."),
    secrets: section({
      key: secret(
        z
          .string()
          .refine(
            (value) => Buffer.from(value, "base64").length === 32 && /^[A-Za-z0-9+/]{43}=$/.test(value),
            {
              message: "expected 32 random bytes in base64 (run `vestibule keygen`)",
            },
          )
          .optional(),
        "Key for libsodium secretbox (collected and one-time passwords at rest).",
      ),
    }).describe("Secrets."),
  })
  .superRefine((config, ctx) => {
    if (config.registration.collectPassword && !config.secrets.key) {
      ctx.addIssue({
        code: "custom",
        path: ["secrets", "key"],
        message: "is required when registration.collectPassword is true",
      });
    }
    if (
      config.registration.credentials === "password" &&
      config.homeserver.mode !== "token" &&
      !config.secrets.key
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["secrets", "key"],
        message: 'is required when registration.credentials is "password"',
      });
    }
    if (config.homeserver.mode === "token" && !config.homeserver.adminToken) {
      ctx.addIssue({
        code: "custom",
        path: ["homeserver", "adminToken"],
        message: 'is required when homeserver.mode is "token"',
      });
    }
    if (config.registration.username.minLength > config.registration.username.maxLength) {
      ctx.addIssue({
        code: "custom",
        path: ["registration", "username", "minLength"],
        message: "is greater than maxLength",
      });
    }
    if (config.mail.smtp?.password && !config.mail.smtp.user) {
      ctx.addIssue({
        code: "custom",
        path: ["mail", "smtp", "user"],
        message: "is required when mail.smtp.password is set",
      });
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type WebConfig = Config["web"];
export type InternalConfig = Config["internal"];
export type DatabaseConfig = Config["database"];
export type HomeserverConfig = Config["homeserver"];
export type BotConfig = Config["bot"];
export type MailConfig = Config["mail"];
export type RegistrationConfig = Config["registration"];
export type JobsConfig = Config["jobs"];

/** Things that are not wrong but leave a part of the service idle; logged at start-up and shown by check-config. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (
    config.homeserver.mode === "synapse" &&
    !config.homeserver.adminToken &&
    !config.homeserver.registrationSharedSecret
  ) {
    warnings.push(
      "homeserver.adminToken or homeserver.registrationSharedSecret is not set: approved requests cannot be provisioned",
    );
  }
  if (
    config.homeserver.mode === "synapse" &&
    !config.homeserver.adminToken &&
    config.homeserver.registrationSharedSecret
  ) {
    warnings.push(
      "homeserver.adminToken is not set: new accounts get no email 3PID and set-password links use the shared-secret path",
    );
  }
  if (config.bot.enabled && !config.bot.accessToken && !config.bot.password) {
    warnings.push("bot.accessToken or bot.password is not set: the moderator bot cannot log in");
  }
  if (!config.mail.smtp)
    warnings.push(`mail.smtp is not set: emails are written as .eml files to ${config.dataDir}/mail`);
  if (config.homeserver.mode === "local" && !config.internal.secret) {
    warnings.push("internal.secret is not set: anyone who can reach internal.listen can check passwords");
  }
  return warnings;
}
