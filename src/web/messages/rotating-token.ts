// Text of the page where applicants ask for today's shared registration token.
import type { Catalog } from "../i18n.ts";

interface RotatingTokenMessages {
  title: string;
  intro: (serverName: string) => string;
  button: string;
  sentTitle: string;
  sentBody: string;
  closedBody: (time: string) => string;
}

const en: RotatingTokenMessages = {
  title: "Get a registration token",
  intro: (server) =>
    `To create an account on ${server}, your Matrix client asks for a registration token. We send today's token to your email address.`,
  button: "Send me the token",
  sentTitle: "Check your email",
  sentBody: "If requests from this address are allowed, today's registration token is on its way.",
  closedBody: (time) => `The token changes soon. Please come back after ${time}.`,
};

const de: RotatingTokenMessages = {
  title: "Registrierungstoken anfordern",
  intro: (server) =>
    `Um ein Konto auf ${server} anzulegen, fragt dein Matrix-Client nach einem Registrierungstoken. Wir schicken dir das heutige Token per E-Mail.`,
  button: "Token zuschicken",
  sentTitle: "Sieh in dein Postfach",
  sentBody: "Wenn Anfragen von dieser Adresse erlaubt sind, ist das heutige Registrierungstoken unterwegs.",
  closedBody: (time) => `Das Token ändert sich gleich. Bitte komm nach ${time} wieder.`,
};

export const rotatingTokenMessages: Catalog<RotatingTokenMessages> = { en, de };
