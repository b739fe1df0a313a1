// Text of the set-password page and the token registration page.
import type { Catalog } from "../i18n.ts";

interface CredentialMessages {
  setPasswordTitle: string;
  setPasswordIntro: (userId: string) => string;
  setPasswordButton: string;
  passwordSetTitle: string;
  passwordSetBody: (userId: string) => string;
  registerTitle: string;
  registerIntro: string;
  yourUsername: string;
  registerButton: string;
  registeredTitle: string;
  registeredBody: (userId: string) => string;
  signInHint: string;
  failedTitle: string;
  failedBody: string;
  nameTakenBody: string;
}

const en: CredentialMessages = {
  setPasswordTitle: "Set your password",
  setPasswordIntro: (userId) => `Choose the password for ${userId}. This link works only once.`,
  setPasswordButton: "Set password",
  passwordSetTitle: "Your password is set",
  passwordSetBody: (userId) => `Sign in as ${userId} with any Matrix client.`,
  registerTitle: "Finish your registration",
  registerIntro: "Your request was approved. Choose a password and your account is created.",
  yourUsername: "Your username",
  registerButton: "Create my account",
  registeredTitle: "Your account is ready",
  registeredBody: (userId) =>
    `Sign in as ${userId} with any Matrix client, using the password you just chose.`,
  signInHint: "Choose your homeserver in the client if it asks.",
  failedTitle: "That did not work",
  failedBody:
    "The homeserver could not be reached. Your link still works: please try again in a few minutes.",
  nameTakenBody: "This username was taken on the homeserver in the meantime. The moderators have been told.",
};

const de: CredentialMessages = {
  setPasswordTitle: "Passwort festlegen",
  setPasswordIntro: (userId) => `Wähle das Passwort für ${userId}. Dieser Link funktioniert nur einmal.`,
  setPasswordButton: "Passwort festlegen",
  passwordSetTitle: "Dein Passwort ist festgelegt",
  passwordSetBody: (userId) => `Melde dich mit einem beliebigen Matrix-Client als ${userId} an.`,
  registerTitle: "Registrierung abschließen",
  registerIntro: "Deine Anfrage wurde angenommen. Wähle ein Passwort, dann wird dein Konto angelegt.",
  yourUsername: "Dein Benutzername",
  registerButton: "Konto anlegen",
  registeredTitle: "Dein Konto ist bereit",
  registeredBody: (userId) =>
    `Melde dich mit einem beliebigen Matrix-Client als ${userId} und dem gerade gewählten Passwort an.`,
  signInHint: "Wähle im Client deinen Homeserver, falls er danach fragt.",
  failedTitle: "Das hat nicht geklappt",
  failedBody:
    "Der Homeserver war nicht erreichbar. Dein Link gilt weiter: Bitte versuche es in ein paar Minuten erneut.",
  nameTakenBody:
    "Dieser Benutzername wurde inzwischen auf dem Homeserver vergeben. Die Moderation wurde informiert.",
};

export const credentialMessages: Catalog<CredentialMessages> = { en, de };
