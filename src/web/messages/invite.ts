// Text of the invite sign-up pages.
import type { Catalog } from "../i18n.ts";

interface InviteMessages {
  title: string;
  intro: string;
  unknownTitle: string;
  unknownBody: string;
  expiredTitle: string;
  expiredBody: string;
  usedTitle: string;
  usedBody: string;
  unavailableTitle: string;
  unavailableBody: string;
}

const en: InviteMessages = {
  title: "You are invited",
  intro:
    "Choose your username and tell us your email address. After you confirm it, you choose your password and your account is ready.",
  unknownTitle: "This invitation is not valid",
  unknownBody:
    "The invitation link is incomplete or was withdrawn. Ask the person who invited you for a new one.",
  expiredTitle: "This invitation has expired",
  expiredBody: "Invitations work for a limited time. Ask the person who invited you for a new one.",
  usedTitle: "This invitation was already used",
  usedBody:
    "Each invitation works only as often as it was made for. Ask the person who invited you for a new one.",
  unavailableTitle: "Please try again later",
  unavailableBody: "The homeserver cannot be reached right now, so the invitation cannot be checked.",
};

const de: InviteMessages = {
  title: "Du bist eingeladen",
  intro:
    "Wähle deinen Benutzernamen und nenne uns deine E-Mail-Adresse. Nachdem du sie bestätigt hast, wählst du dein Passwort und dein Konto ist bereit.",
  unknownTitle: "Diese Einladung ist nicht gültig",
  unknownBody:
    "Der Einladungslink ist unvollständig oder wurde zurückgezogen. Bitte die Person, die dich eingeladen hat, um einen neuen.",
  expiredTitle: "Diese Einladung ist abgelaufen",
  expiredBody:
    "Einladungen gelten nur eine begrenzte Zeit. Bitte die Person, die dich eingeladen hat, um eine neue.",
  usedTitle: "Diese Einladung wurde schon benutzt",
  usedBody:
    "Jede Einladung funktioniert nur so oft, wie sie erstellt wurde. Bitte die Person, die dich eingeladen hat, um eine neue.",
  unavailableTitle: "Bitte versuche es später erneut",
  unavailableBody:
    "Der Homeserver ist gerade nicht erreichbar, deshalb kann die Einladung nicht geprüft werden.",
};

export const inviteMessages: Catalog<InviteMessages> = { en, de };
