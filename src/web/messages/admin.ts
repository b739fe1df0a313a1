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
  back: "Zurück",
};

export const adminMessages: Catalog<AdminMessages> = { en, de };
