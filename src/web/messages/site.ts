// Text of the public site's pages, in English and German.
import type { EmailProblem, UsernameProblem } from "../../registration/policy.ts";
import type { RequestState } from "../../registration/types.ts";
import type { Catalog } from "../i18n.ts";

/** Problems any form field can have, beyond the username and email ones. */
export type FieldProblem =
  | UsernameProblem
  | EmailProblem
  | "taken"
  | "email_in_use"
  | "cooldown"
  | "banned"
  | "too_long"
  | "invalid"
  | "legal_required"
  | "password_short"
  | "password_mismatch"
  | "password_is_username"
  | "password_weak"
  | "token_invalid";

interface SiteMessages {
  siteName: string;
  skipToContent: string;
  language: string;
  footer: string;
  // Sign-up form
  formTitle: string;
  formIntro: string;
  username: string;
  usernameHint: (server: string, min: number, max: number) => string;
  email: string;
  emailHint: string;
  firstName: string;
  lastName: string;
  note: string;
  noteHint: string;
  noteOptional: string;
  password: string;
  passwordHint: (min: number) => string;
  passwordConfirm: string;
  acceptLegal: (title: string) => string;
  submit: string;
  honeypotLabel: string;
  formHasErrors: string;
  checking: string;
  available: string;
  passwordStrength: string;
  strength: readonly [string, string, string, string, string];
  // Field problems
  problems: Record<FieldProblem, string>;
  // Pages
  checkEmailTitle: string;
  checkEmailBody: string;
  checkEmailSpam: string;
  verifyTitle: string;
  verifyBody: (username: string) => string;
  verifyButton: string;
  statusTitle: string;
  statusFor: (username: string) => string;
  states: Record<RequestState, string>;
  stateDetail: Record<RequestState, string>;
  submittedAt: string;
  verifiedAt: string;
  decidedAt: string;
  reason: string;
  linkInvalidTitle: string;
  linkInvalidBody: string;
  linkExpiredTitle: string;
  linkExpiredBody: string;
  linkUsedTitle: string;
  linkUsedBody: string;
  startOver: string;
  rateLimitedTitle: string;
  rateLimitedBody: (minutes: number) => string;
  notFoundTitle: string;
  notFoundBody: string;
  errorTitle: string;
  errorBody: (incident: string) => string;
  badRequestTitle: string;
  badRequestBody: string;
  tooLargeTitle: string;
  tooLargeBody: string;
  csrfTitle: string;
  csrfBody: string;
  closedTitle: string;
  home: string;
}

const en: SiteMessages = {
  siteName: "Join",
  skipToContent: "Skip to content",
  language: "Language",
  footer:
    "Your request is reviewed by the moderators of this homeserver. Your data is deleted when it is no longer needed.",
  formTitle: "Request an account",
  formIntro: "Tell us who you are. After you confirm your email address, a moderator reviews your request.",
  username: "Username",
  usernameHint: (server, min, max) =>
    `Your address will be @username:${server}. ${min}–${max} characters: lower-case letters, digits and . _ = - / +`,
  email: "Email address",
  emailHint: "We send a confirmation link and, once approved, your login details here.",
  firstName: "First name",
  lastName: "Last name",
  note: "Why would you like to join?",
  noteHint: "A few words for the moderators.",
  noteOptional: "(optional)",
  password: "Password",
  passwordHint: (min) => `At least ${min} characters. Not your username.`,
  passwordConfirm: "Repeat password",
  acceptLegal: (title) => `I accept the ${title}`,
  submit: "Send request",
  honeypotLabel: "Leave this field empty",
  formHasErrors: "Please correct the marked fields.",
  checking: "Checking…",
  available: "This username is available.",
  passwordStrength: "Password strength",
  strength: ["very weak", "weak", "fair", "good", "strong"],
  problems: {
    required: "This field is required.",
    too_short: "This is too short.",
    too_long: "This is too long.",
    uppercase: "Use lower-case letters only.",
    invalid_characters: "Use only lower-case letters, digits and . _ = - / +",
    all_digits: "A username cannot consist of digits only.",
    leading_underscore: "A username cannot start with an underscore.",
    user_id_too_long: "This username is too long for this server.",
    reserved: "This username is reserved.",
    not_allowed: "This username is not allowed.",
    taken: "This username is already taken.",
    invalid: "This is not valid.",
    email_in_use: "There is already a request or an account for this email address.",
    cooldown: "A request for this email address was sent recently. Please wait before trying again.",
    banned: "Requests from you cannot be accepted.",
    legal_required: "Please accept this to continue.",
    password_short: "The password is too short.",
    password_mismatch: "The passwords do not match.",
    password_is_username: "The password must not be your username.",
    password_weak: "This password is too easy to guess.",
    token_invalid: "This invitation is not valid.",
  },
  checkEmailTitle: "Check your email",
  checkEmailBody:
    "We sent you a link to confirm your email address. Open it to send your request to the moderators.",
  checkEmailSpam: "No email after a few minutes? Look in your spam folder. The link works for 48 hours.",
  verifyTitle: "Confirm your email address",
  verifyBody: (username) => `Confirm that you asked for the account “${username}”.`,
  verifyButton: "Confirm",
  statusTitle: "Your request",
  statusFor: (username) => `Request for “${username}”`,
  states: {
    unverified: "Waiting for email confirmation",
    pending: "Waiting for review",
    approved: "Approved — your account is being created",
    provisioned: "Your account is ready",
    declined: "Declined",
    failed: "Approved — account creation is delayed",
  },
  stateDetail: {
    unverified: "Open the link in the email we sent you to confirm your address.",
    pending: "A moderator will look at your request soon. We will email you the decision.",
    approved: "We are creating your account and will email you how to sign in.",
    provisioned: "We emailed you how to sign in.",
    declined: "Your request was declined.",
    failed: "Something went wrong while creating your account. The moderators know and will try again.",
  },
  submittedAt: "Sent",
  verifiedAt: "Email confirmed",
  decidedAt: "Decided",
  reason: "Reason",
  linkInvalidTitle: "This link is not valid",
  linkInvalidBody: "The link may be incomplete. Copy the whole link from the email, or start again.",
  linkExpiredTitle: "This link has expired",
  linkExpiredBody: "Links only work for a limited time. Please start again.",
  linkUsedTitle: "This link was already used",
  linkUsedBody: "Each link works only once.",
  startOver: "Start again",
  rateLimitedTitle: "Too many attempts",
  rateLimitedBody: (minutes) => `Please try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
  notFoundTitle: "Page not found",
  notFoundBody: "There is nothing here.",
  errorTitle: "Something went wrong",
  errorBody: (incident) =>
    `Please try again later. If this keeps happening, tell the administrators this code: ${incident}`,
  badRequestTitle: "The request could not be read",
  badRequestBody: "Please go back and try again.",
  tooLargeTitle: "Too much data",
  tooLargeBody: "The form sent more data than we accept. Please shorten your input.",
  csrfTitle: "Please try again",
  csrfBody: "The form expired or came from another site. Reload the page and send it again.",
  closedTitle: "Sign-ups are closed right now",
  home: "Back to the start",
};

const de: SiteMessages = {
  siteName: "Beitreten",
  skipToContent: "Zum Inhalt springen",
  language: "Sprache",
  footer:
    "Deine Anfrage wird von den Moderator*innen dieses Homeservers geprüft. Deine Daten werden gelöscht, sobald sie nicht mehr gebraucht werden.",
  formTitle: "Konto beantragen",
  formIntro:
    "Sag uns, wer du bist. Nachdem du deine E-Mail-Adresse bestätigt hast, prüft eine Moderatorin oder ein Moderator deine Anfrage.",
  username: "Benutzername",
  usernameHint: (server, min, max) =>
    `Deine Adresse wird @benutzername:${server}. ${min}–${max} Zeichen: Kleinbuchstaben, Ziffern und . _ = - / +`,
  email: "E-Mail-Adresse",
  emailHint: "Hierhin schicken wir einen Bestätigungslink und nach der Freigabe deine Zugangsdaten.",
  firstName: "Vorname",
  lastName: "Nachname",
  note: "Warum möchtest du beitreten?",
  noteHint: "Ein paar Worte für die Moderation.",
  noteOptional: "(optional)",
  password: "Passwort",
  passwordHint: (min) => `Mindestens ${min} Zeichen. Nicht dein Benutzername.`,
  passwordConfirm: "Passwort wiederholen",
  acceptLegal: (title) => `Ich akzeptiere: ${title}`,
  submit: "Anfrage senden",
  honeypotLabel: "Dieses Feld leer lassen",
  formHasErrors: "Bitte korrigiere die markierten Felder.",
  checking: "Wird geprüft …",
  available: "Dieser Benutzername ist frei.",
  passwordStrength: "Passwortstärke",
  strength: ["sehr schwach", "schwach", "mittel", "gut", "stark"],
  problems: {
    required: "Dieses Feld ist erforderlich.",
    too_short: "Das ist zu kurz.",
    too_long: "Das ist zu lang.",
    uppercase: "Bitte nur Kleinbuchstaben verwenden.",
    invalid_characters: "Erlaubt sind Kleinbuchstaben, Ziffern und . _ = - / +",
    all_digits: "Ein Benutzername darf nicht nur aus Ziffern bestehen.",
    leading_underscore: "Ein Benutzername darf nicht mit einem Unterstrich beginnen.",
    user_id_too_long: "Dieser Benutzername ist für diesen Server zu lang.",
    reserved: "Dieser Benutzername ist reserviert.",
    not_allowed: "Dieser Benutzername ist nicht erlaubt.",
    taken: "Dieser Benutzername ist bereits vergeben.",
    invalid: "Das ist nicht gültig.",
    email_in_use: "Für diese E-Mail-Adresse gibt es bereits eine Anfrage oder ein Konto.",
    cooldown: "Für diese E-Mail-Adresse wurde gerade erst eine Anfrage gesendet. Bitte warte etwas.",
    banned: "Anfragen von dir können nicht angenommen werden.",
    legal_required: "Bitte akzeptiere dies, um fortzufahren.",
    password_short: "Das Passwort ist zu kurz.",
    password_mismatch: "Die Passwörter stimmen nicht überein.",
    password_is_username: "Das Passwort darf nicht dein Benutzername sein.",
    password_weak: "Dieses Passwort ist zu leicht zu erraten.",
    token_invalid: "Diese Einladung ist nicht gültig.",
  },
  checkEmailTitle: "Sieh in dein Postfach",
  checkEmailBody:
    "Wir haben dir einen Link zur Bestätigung deiner E-Mail-Adresse geschickt. Öffne ihn, um deine Anfrage an die Moderation zu senden.",
  checkEmailSpam: "Nach ein paar Minuten keine E-Mail? Sieh im Spam-Ordner nach. Der Link gilt 48 Stunden.",
  verifyTitle: "E-Mail-Adresse bestätigen",
  verifyBody: (username) => `Bestätige, dass du das Konto „${username}“ beantragt hast.`,
  verifyButton: "Bestätigen",
  statusTitle: "Deine Anfrage",
  statusFor: (username) => `Anfrage für „${username}“`,
  states: {
    unverified: "Wartet auf die Bestätigung der E-Mail-Adresse",
    pending: "Wartet auf Prüfung",
    approved: "Angenommen – dein Konto wird angelegt",
    provisioned: "Dein Konto ist bereit",
    declined: "Abgelehnt",
    failed: "Angenommen – das Anlegen des Kontos verzögert sich",
  },
  stateDetail: {
    unverified: "Öffne den Link in der E-Mail, die wir dir geschickt haben, um deine Adresse zu bestätigen.",
    pending:
      "Bald sieht sich jemand aus der Moderation deine Anfrage an. Wir schicken dir die Entscheidung per E-Mail.",
    approved: "Wir legen dein Konto an und schicken dir per E-Mail, wie du dich anmeldest.",
    provisioned: "Wir haben dir per E-Mail geschickt, wie du dich anmeldest.",
    declined: "Deine Anfrage wurde abgelehnt.",
    failed:
      "Beim Anlegen deines Kontos ist etwas schiefgegangen. Die Moderation weiß Bescheid und versucht es erneut.",
  },
  submittedAt: "Gesendet",
  verifiedAt: "E-Mail bestätigt",
  decidedAt: "Entschieden",
  reason: "Begründung",
  linkInvalidTitle: "Dieser Link ist nicht gültig",
  linkInvalidBody:
    "Vielleicht ist der Link unvollständig. Kopiere den ganzen Link aus der E-Mail oder fang neu an.",
  linkExpiredTitle: "Dieser Link ist abgelaufen",
  linkExpiredBody: "Links gelten nur eine begrenzte Zeit. Bitte fang neu an.",
  linkUsedTitle: "Dieser Link wurde schon benutzt",
  linkUsedBody: "Jeder Link funktioniert nur einmal.",
  startOver: "Neu anfangen",
  rateLimitedTitle: "Zu viele Versuche",
  rateLimitedBody: (minutes) => `Bitte versuche es in ${minutes} Minute${minutes === 1 ? "" : "n"} erneut.`,
  notFoundTitle: "Seite nicht gefunden",
  notFoundBody: "Hier gibt es nichts.",
  errorTitle: "Etwas ist schiefgegangen",
  errorBody: (incident) =>
    `Bitte versuche es später erneut. Wenn das öfter passiert, nenne der Administration diesen Code: ${incident}`,
  badRequestTitle: "Die Anfrage konnte nicht gelesen werden",
  badRequestBody: "Bitte geh zurück und versuche es erneut.",
  tooLargeTitle: "Zu viele Daten",
  tooLargeBody: "Das Formular hat mehr Daten gesendet, als wir annehmen. Bitte kürze deine Eingaben.",
  csrfTitle: "Bitte erneut versuchen",
  csrfBody:
    "Das Formular ist abgelaufen oder kam von einer anderen Seite. Lade die Seite neu und sende es erneut.",
  closedTitle: "Anmeldungen sind gerade geschlossen",
  home: "Zurück zum Anfang",
};

export const siteMessages: Catalog<SiteMessages> = { en, de };
export type { SiteMessages };
