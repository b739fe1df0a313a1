// Text of the moderators' web portal (/admin).
import type { RequestState } from "../../registration/types.ts";
import type { Catalog } from "../i18n.ts";

interface AdminMessages {
  portal: string;
  loginTitle: string;
  loginBody: (userId: string) => string;
  loginButton: string;
  loggedOutTitle: string;
  loggedOutBody: (prefix: string) => string;
  signedInAs: (userId: string) => string;
  logout: string;
  navRequests: string;
  navBans: string;
  navTokens: string;
  filterState: string;
  anyState: string;
  search: string;
  filter: string;
  noRequests: string;
  columns: { id: string; username: string; name: string; email: string; state: string; submitted: string };
  states: Record<RequestState, string>;
  requestTitle: (id: number) => string;
  note: string;
  votes: string;
  noVotes: string;
  audit: string;
  approve: string;
  decline: string;
  reason: string;
  reasonHint: string;
  message: string;
  messageHint: string;
  voteRecorded: string;
  notPending: string;
  bansTitle: string;
  banKind: string;
  banValue: string;
  banReason: string;
  banExpires: string;
  banExpiresHint: string;
  addBan: string;
  remove: string;
  noBans: string;
  permanent: string;
  invalidBan: string;
  tokensTitle: string;
  tokensUnavailable: string;
  uses: string;
  usesHint: string;
  expires: string;
  expiresHint: string;
  noteLabel: string;
  createToken: string;
  noTokens: string;
  invalidToken: string;
  navPermissions: string;
  navSessions: string;
  rightsUnavailableTitle: string;
  rightsUnavailableBody: string;
  notModeratorTitle: string;
  notModeratorBody: (userId: string) => string;
  invalidField: (label: string, value: string) => string;
  homeserverProblem: string;
  permissionsTitle: string;
  permissionsIntro: (prefix: string) => string;
  noPermissions: string;
  subject: string;
  subjectHint: string;
  grant: string;
  grantedBy: (by: string) => string;
  invalidPermission: string;
  sessionsTitle: string;
  sessionsIntro: (hours: number) => string;
  sessionCreated: string;
  sessionExpires: string;
  thisSession: string;
  signOutEverywhere: string;
  signedOutEverywhereTitle: string;
  signedOutEverywhereBody: (count: number, prefix: string) => string;
  back: string;
}

const en: AdminMessages = {
  portal: "Moderation",
  loginTitle: "Sign in to the portal",
  loginBody: (userId) => `Continue as ${userId}. This link works once.`,
  loginButton: "Sign in",
  loggedOutTitle: "Please sign in",
  loggedOutBody: (prefix) =>
    `Send ${prefix}login in the moderators' room: the bot sends you a one-time sign-in link.`,
  signedInAs: (userId) => `Signed in as ${userId}`,
  logout: "Sign out",
  navRequests: "Requests",
  navBans: "Bans",
  navTokens: "Invitations",
  filterState: "State",
  anyState: "any",
  search: "Search (username, email, name)",
  filter: "Show",
  noRequests: "No requests match.",
  columns: {
    id: "#",
    username: "Username",
    name: "Name",
    email: "Email",
    state: "State",
    submitted: "Submitted",
  },
  states: {
    unverified: "unverified",
    pending: "pending",
    approved: "approved",
    provisioned: "account created",
    declined: "declined",
    failed: "failed",
  },
  requestTitle: (id) => `Request #${id}`,
  note: "Note",
  votes: "Votes",
  noVotes: "No votes yet.",
  audit: "History",
  approve: "Approve",
  decline: "Decline",
  reason: "Reason",
  reasonHint: "Recorded, shown in the room and sent to the applicant.",
  message: "Message to the applicant",
  messageHint: "Optional; added to the email.",
  voteRecorded: "Your vote was recorded.",
  notPending: "This request is no longer waiting for a decision.",
  bansTitle: "Bans",
  banKind: "Kind",
  banValue: "Value",
  banReason: "Reason",
  banExpires: "Expires after",
  banExpiresHint: "e.g. 30d; empty for permanent",
  addBan: "Add ban",
  remove: "Remove",
  noBans: "No bans.",
  permanent: "permanent",
  invalidBan: "That ban is not valid",
  tokensTitle: "Invitations (registration tokens)",
  tokensUnavailable: "Managing invitations needs homeserver.adminToken.",
  uses: "Uses",
  usesHint: "a number, or empty for one use",
  expires: "Expires after",
  expiresHint: "e.g. 7d; empty for 7 days",
  noteLabel: "Note",
  createToken: "Create invitation",
  noTokens: "No valid invitations.",
  invalidToken: "That invitation could not be made",
  navPermissions: "Permissions",
  navSessions: "Sessions",
  rightsUnavailableTitle: "Your moderator rights cannot be checked right now",
  rightsUnavailableBody:
    "The portal asks the homeserver on every page whether you are still a moderator, and the homeserver did not answer. Nothing was shown or changed. Please try again in a moment.",
  notModeratorTitle: "You are no longer a moderator",
  notModeratorBody: (userId) =>
    `${userId} no longer has a moderator's power level in the moderators' room, or is no longer a member of it. Your portal sessions were ended.`,
  invalidField: (label, value) => `${label}: "${value}" is not valid.`,
  homeserverProblem: "The homeserver did not carry this out. Nothing was changed; please try again later.",
  permissionsTitle: "Permissions",
  permissionsIntro: (prefix) =>
    `Besides the moderators, these people may manage invitations (${prefix}token in the room).`,
  noPermissions: "Only moderators may manage invitations.",
  subject: "User ID or /pattern/",
  subjectHint: "e.g. @alice:example.org, or /^@.*:example\\.org$/ for everyone on a server",
  grant: "Allow",
  grantedBy: (by) => `allowed by ${by}`,
  invalidPermission: "That permission is not valid",
  sessionsTitle: "Your sessions",
  sessionsIntro: (hours) =>
    `Where you are signed in to the portal. A session lasts ${hours} h; it ends early when you sign out or lose your moderator rights.`,
  sessionCreated: "Signed in",
  sessionExpires: "Ends",
  thisSession: "this browser",
  signOutEverywhere: "Sign out everywhere",
  signedOutEverywhereTitle: "Signed out everywhere",
  signedOutEverywhereBody: (count, prefix) =>
    `${count} session${count === 1 ? "" : "s"} ended. Send ${prefix}login in the moderators' room to sign in again.`,
  back: "Back",
};

const de: AdminMessages = {
  portal: "Moderation",
  loginTitle: "Am Portal anmelden",
  loginBody: (userId) => `Weiter als ${userId}. Dieser Link funktioniert einmal.`,
  loginButton: "Anmelden",
  loggedOutTitle: "Bitte anmelden",
  loggedOutBody: (prefix) =>
    `Sende ${prefix}login im Moderationsraum: Der Bot schickt dir einen einmaligen Anmeldelink.`,
  signedInAs: (userId) => `Angemeldet als ${userId}`,
  logout: "Abmelden",
  navRequests: "Anfragen",
  navBans: "Sperren",
  navTokens: "Einladungen",
  filterState: "Status",
  anyState: "alle",
  search: "Suche (Benutzername, E-Mail, Name)",
  filter: "Anzeigen",
  noRequests: "Keine passenden Anfragen.",
  columns: {
    id: "#",
    username: "Benutzername",
    name: "Name",
    email: "E-Mail",
    state: "Status",
    submitted: "Gesendet",
  },
  states: {
    unverified: "unbestätigt",
    pending: "offen",
    approved: "angenommen",
    provisioned: "Konto angelegt",
    declined: "abgelehnt",
    failed: "fehlgeschlagen",
  },
  requestTitle: (id) => `Anfrage #${id}`,
  note: "Notiz",
  votes: "Stimmen",
  noVotes: "Noch keine Stimmen.",
  audit: "Verlauf",
  approve: "Annehmen",
  decline: "Ablehnen",
  reason: "Begründung",
  reasonHint: "Wird festgehalten, im Raum gezeigt und an die Person geschickt.",
  message: "Nachricht an die Person",
  messageHint: "Optional; wird der E-Mail angefügt.",
  voteRecorded: "Deine Stimme wurde gezählt.",
  notPending: "Diese Anfrage wartet nicht mehr auf eine Entscheidung.",
  bansTitle: "Sperren",
  banKind: "Art",
  banValue: "Wert",
  banReason: "Begründung",
  banExpires: "Läuft ab nach",
  banExpiresHint: "z. B. 30d; leer für dauerhaft",
  addBan: "Sperre hinzufügen",
  remove: "Entfernen",
  noBans: "Keine Sperren.",
  permanent: "dauerhaft",
  invalidBan: "Diese Sperre ist nicht gültig",
  tokensTitle: "Einladungen (Registrierungstokens)",
  tokensUnavailable: "Für Einladungen wird homeserver.adminToken gebraucht.",
  uses: "Nutzungen",
  usesHint: "eine Zahl, oder leer für eine Nutzung",
  expires: "Läuft ab nach",
  expiresHint: "z. B. 7d; leer für 7 Tage",
  noteLabel: "Notiz",
  createToken: "Einladung erstellen",
  noTokens: "Keine gültigen Einladungen.",
  invalidToken: "Diese Einladung konnte nicht erstellt werden",
  navPermissions: "Berechtigungen",
  navSessions: "Sitzungen",
  rightsUnavailableTitle: "Deine Moderationsrechte lassen sich gerade nicht prüfen",
  rightsUnavailableBody:
    "Das Portal fragt auf jeder Seite beim Homeserver nach, ob du noch moderierst, und der Homeserver hat nicht geantwortet. Es wurde nichts angezeigt oder geändert. Bitte versuche es gleich noch einmal.",
  notModeratorTitle: "Du moderierst nicht mehr",
  notModeratorBody: (userId) =>
    `${userId} hat im Moderationsraum keine Moderationsstufe mehr oder ist kein Mitglied mehr. Deine Portal-Sitzungen wurden beendet.`,
  invalidField: (label, value) => `${label}: „${value}“ ist nicht gültig.`,
  homeserverProblem:
    "Der Homeserver hat das nicht ausgeführt. Es wurde nichts geändert; bitte versuche es später noch einmal.",
  permissionsTitle: "Berechtigungen",
  permissionsIntro: (prefix) =>
    `Außer den Moderierenden dürfen diese Personen Einladungen verwalten (${prefix}token im Raum).`,
  noPermissions: "Nur Moderierende dürfen Einladungen verwalten.",
  subject: "Benutzer-ID oder /Muster/",
  subjectHint: "z. B. @alice:example.org, oder /^@.*:example\\.org$/ für alle auf einem Server",
  grant: "Erlauben",
  grantedBy: (by) => `erlaubt von ${by}`,
  invalidPermission: "Diese Berechtigung ist nicht gültig",
  sessionsTitle: "Deine Sitzungen",
  sessionsIntro: (hours) =>
    `Wo du am Portal angemeldet bist. Eine Sitzung dauert ${hours} Std.; sie endet früher, wenn du dich abmeldest oder deine Moderationsrechte verlierst.`,
  sessionCreated: "Angemeldet",
  sessionExpires: "Endet",
  thisSession: "dieser Browser",
  signOutEverywhere: "Überall abmelden",
  signedOutEverywhereTitle: "Überall abgemeldet",
  signedOutEverywhereBody: (count, prefix) =>
    `${count} ${count === 1 ? "Sitzung" : "Sitzungen"} beendet. Sende ${prefix}login im Moderationsraum, um dich wieder anzumelden.`,
  back: "Zurück",
};

export const adminMessages: Catalog<AdminMessages> = { en, de };
