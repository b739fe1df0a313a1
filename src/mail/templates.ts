// Every email Vestibule sends, in English and German. A template describes the message once (paragraphs, a main
// action, further links); render() turns that into the plain-text and the HTML part, so the two never disagree.
import type { EmailTemplate } from "../registration/side-effects.ts";
import type { Locale } from "../registration/types.ts";

export interface TemplateInput {
  params: Record<string, string | number | null>;
  /** Absolute URLs minted for this email (verify_email, status, set_password, token_register). */
  links: Partial<Record<string, string>>;
  /** A secret opened from the outbox row (a one-time password). */
  secret: string | null;
  serverName: string;
  linkValidityHours: number;
  verificationValidityHours: number;
}

interface Content {
  subject: string;
  greeting: string;
  paragraphs: string[];
  /** A value shown prominently (a one-time password). */
  code?: { label: string; value: string };
  action?: { label: string; url: string };
  more?: { label: string; url: string }[];
  closing: string;
}

type Build = (i: TemplateInput) => Content;

const str = (value: string | number | null | undefined): string =>
  value === null || value === undefined ? "" : String(value);

function statusLink(i: TemplateInput, label: string) {
  return i.links["status"] ? [{ label, url: i.links["status"] }] : [];
}

function link(i: TemplateInput, name: string): string {
  const url = i.links[name];
  if (!url) throw new Error(`email template needs the ${name} link`);
  return url;
}

const en: Record<EmailTemplate, Build> = {
  verify_email: (i) => ({
    subject: "Please confirm your email address",
    greeting: `Hello ${str(i.params["displayName"])},`,
    paragraphs: [
      `you asked for the account @${str(i.params["localpart"])}:${i.serverName}. Please confirm that this is your email address; then the moderators review your request.`,
      `The link works for ${i.verificationValidityHours} hours. If you did not ask for an account, ignore this email: nothing happens without the confirmation.`,
    ],
    action: { label: "Confirm my email address", url: link(i, "verify_email") },
    more: statusLink(i, "Your request's status"),
    closing: "The moderators",
  }),
  admin_new_request: (i) => ({
    subject: `New sign-up request #${str(i.params["requestId"])}: ${str(i.params["localpart"])}`,
    greeting: "Hello,",
    paragraphs: [
      `a new request is waiting for review: #${str(i.params["requestId"])}, username "${str(i.params["localpart"])}", ${str(i.params["displayName"])} <${str(i.params["email"])}>.`,
      `Note: ${str(i.params["note"]) || "(none)"}`,
      "Decide in the moderators' room with ✅ / ❌ or !approve / !decline.",
    ],
    closing: "Vestibule",
  }),
  declined: (i) => ({
    subject: "Your account request was declined",
    greeting: `Hello ${str(i.params["displayName"])},`,
    paragraphs: [
      `the moderators declined your request for the account "${str(i.params["localpart"])}".`,
      ...(i.params["reason"] ? [`Reason: ${str(i.params["reason"])}`] : []),
      ...(i.params["message"] ? [`Message from the moderators: ${str(i.params["message"])}`] : []),
    ],
    more: statusLink(i, "Your request's status"),
    closing: "The moderators",
  }),
  account_ready_link: (i) => ({
    subject: "Your account is ready: set your password",
    greeting: `Hello ${str(i.params["displayName"])},`,
    paragraphs: [
      `your request was approved and your account ${str(i.params["userId"])} exists. Choose your password with the link below; then sign in with any Matrix client.`,
      `The link works once, for ${i.linkValidityHours} hours.`,
    ],
    action: { label: "Set my password", url: link(i, "set_password") },
    more: statusLink(i, "Your request's status"),
    closing: "The moderators",
  }),
  account_ready_password: (i) => ({
    subject: "Your account is ready",
    greeting: `Hello ${str(i.params["displayName"])},`,
    paragraphs: [
      `your request was approved and your account ${str(i.params["userId"])} exists. Sign in with any Matrix client using this one-time password, then change it in your client's settings.`,
    ],
    code: { label: "One-time password", value: i.secret ?? "" },
    more: statusLink(i, "Your request's status"),
    closing: "The moderators",
  }),
  account_ready_collected: (i) => ({
    subject: "Your account is ready",
    greeting: `Hello ${str(i.params["displayName"])},`,
    paragraphs: [
      `your request was approved and your account ${str(i.params["userId"])} exists. Sign in with any Matrix client using the password you chose when you applied.`,
    ],
    more: statusLink(i, "Your request's status"),
    closing: "The moderators",
  }),
  token_register: (i) => ({
    subject: "Your request was approved: finish your registration",
    greeting: `Hello ${str(i.params["displayName"])},`,
    paragraphs: [
      `your request for @${str(i.params["localpart"])}:${i.serverName} was approved. Open the link below, choose your password, and your account is created.`,
      `The link works once, for ${i.linkValidityHours} hours.`,
    ],
    action: { label: "Finish my registration", url: link(i, "token_register") },
    more: statusLink(i, "Your request's status"),
    closing: "The moderators",
  }),
  rotating_token: (i) => ({
    subject: "Your registration token",
    greeting: "Hello,",
    paragraphs: [
      `here is today's registration token for ${i.serverName}. Enter it in your Matrix client when it asks for a registration token.`,
      `It works until ${str(i.params["validUntil"])}; after that, ask for a new one.`,
      "If you did not ask for this, ignore this email.",
    ],
    code: { label: "Registration token", value: i.secret ?? "" },
    closing: "The moderators",
  }),
  password_link_resent: (i) => ({
    subject: "A new link to set your password",
    greeting: `Hello ${str(i.params["displayName"])},`,
    paragraphs: [
      `here is a new link to set the password of your account ${str(i.params["userId"])}. Earlier links no longer work.`,
      `The link works once, for ${i.linkValidityHours} hours.`,
    ],
    action: { label: "Set my password", url: link(i, "set_password") },
    closing: "The moderators",
  }),
};

const de: Record<EmailTemplate, Build> = {
  verify_email: (i) => ({
    subject: "Bitte bestätige deine E-Mail-Adresse",
    greeting: `Hallo ${str(i.params["displayName"])},`,
    paragraphs: [
      `du hast das Konto @${str(i.params["localpart"])}:${i.serverName} beantragt. Bitte bestätige, dass dies deine E-Mail-Adresse ist; danach prüft die Moderation deine Anfrage.`,
      `Der Link gilt ${i.verificationValidityHours} Stunden. Wenn du kein Konto beantragt hast, ignoriere diese E-Mail: Ohne Bestätigung passiert nichts.`,
    ],
    action: { label: "E-Mail-Adresse bestätigen", url: link(i, "verify_email") },
    more: statusLink(i, "Stand deiner Anfrage"),
    closing: "Die Moderation",
  }),
  admin_new_request: (i) => ({
    subject: `Neue Anfrage #${str(i.params["requestId"])}: ${str(i.params["localpart"])}`,
    greeting: "Hallo,",
    paragraphs: [
      `eine neue Anfrage wartet auf Prüfung: #${str(i.params["requestId"])}, Benutzername „${str(i.params["localpart"])}“, ${str(i.params["displayName"])} <${str(i.params["email"])}>.`,
      `Notiz: ${str(i.params["note"]) || "(keine)"}`,
      "Entscheide im Moderationsraum mit ✅ / ❌ oder !approve / !decline.",
    ],
    closing: "Vestibule",
  }),
  declined: (i) => ({
    subject: "Deine Kontoanfrage wurde abgelehnt",
    greeting: `Hallo ${str(i.params["displayName"])},`,
    paragraphs: [
      `die Moderation hat deine Anfrage für das Konto „${str(i.params["localpart"])}“ abgelehnt.`,
      ...(i.params["reason"] ? [`Begründung: ${str(i.params["reason"])}`] : []),
      ...(i.params["message"] ? [`Nachricht der Moderation: ${str(i.params["message"])}`] : []),
    ],
    more: statusLink(i, "Stand deiner Anfrage"),
    closing: "Die Moderation",
  }),
  account_ready_link: (i) => ({
    subject: "Dein Konto ist bereit: lege dein Passwort fest",
    greeting: `Hallo ${str(i.params["displayName"])},`,
    paragraphs: [
      `deine Anfrage wurde angenommen und dein Konto ${str(i.params["userId"])} ist angelegt. Wähle mit dem Link unten dein Passwort; dann melde dich mit einem beliebigen Matrix-Client an.`,
      `Der Link funktioniert einmal und gilt ${i.linkValidityHours} Stunden.`,
    ],
    action: { label: "Passwort festlegen", url: link(i, "set_password") },
    more: statusLink(i, "Stand deiner Anfrage"),
    closing: "Die Moderation",
  }),
  account_ready_password: (i) => ({
    subject: "Dein Konto ist bereit",
    greeting: `Hallo ${str(i.params["displayName"])},`,
    paragraphs: [
      `deine Anfrage wurde angenommen und dein Konto ${str(i.params["userId"])} ist angelegt. Melde dich mit einem beliebigen Matrix-Client und diesem Einmalpasswort an und ändere es dann in den Einstellungen deines Clients.`,
    ],
    code: { label: "Einmalpasswort", value: i.secret ?? "" },
    more: statusLink(i, "Stand deiner Anfrage"),
    closing: "Die Moderation",
  }),
  account_ready_collected: (i) => ({
    subject: "Dein Konto ist bereit",
    greeting: `Hallo ${str(i.params["displayName"])},`,
    paragraphs: [
      `deine Anfrage wurde angenommen und dein Konto ${str(i.params["userId"])} ist angelegt. Melde dich mit einem beliebigen Matrix-Client und dem Passwort an, das du bei der Anfrage gewählt hast.`,
    ],
    more: statusLink(i, "Stand deiner Anfrage"),
    closing: "Die Moderation",
  }),
  token_register: (i) => ({
    subject: "Deine Anfrage wurde angenommen: schließe die Registrierung ab",
    greeting: `Hallo ${str(i.params["displayName"])},`,
    paragraphs: [
      `deine Anfrage für @${str(i.params["localpart"])}:${i.serverName} wurde angenommen. Öffne den Link unten und wähle dein Passwort; dann wird dein Konto angelegt.`,
      `Der Link funktioniert einmal und gilt ${i.linkValidityHours} Stunden.`,
    ],
    action: { label: "Registrierung abschließen", url: link(i, "token_register") },
    more: statusLink(i, "Stand deiner Anfrage"),
    closing: "Die Moderation",
  }),
  rotating_token: (i) => ({
    subject: "Dein Registrierungstoken",
    greeting: "Hallo,",
    paragraphs: [
      `hier ist das heutige Registrierungstoken für ${i.serverName}. Gib es in deinem Matrix-Client ein, wenn er nach einem Registrierungstoken fragt.`,
      `Es gilt bis ${str(i.params["validUntil"])}; danach fordere bitte ein neues an.`,
      "Wenn du das nicht angefordert hast, ignoriere diese E-Mail.",
    ],
    code: { label: "Registrierungstoken", value: i.secret ?? "" },
    closing: "Die Moderation",
  }),
  password_link_resent: (i) => ({
    subject: "Ein neuer Link für dein Passwort",
    greeting: `Hallo ${str(i.params["displayName"])},`,
    paragraphs: [
      `hier ist ein neuer Link, um das Passwort deines Kontos ${str(i.params["userId"])} festzulegen. Frühere Links funktionieren nicht mehr.`,
      `Der Link funktioniert einmal und gilt ${i.linkValidityHours} Stunden.`,
    ],
    action: { label: "Passwort festlegen", url: link(i, "set_password") },
    closing: "Die Moderation",
  }),
};

const catalogs: Record<Locale, Record<EmailTemplate, Build>> = { en, de };

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export function renderEmail(template: EmailTemplate, locale: Locale, input: TemplateInput): RenderedEmail {
  const content = catalogs[locale][template](input);
  const text = [
    content.greeting,
    "",
    ...content.paragraphs.flatMap((p) => [p, ""]),
    ...(content.code ? [`${content.code.label}: ${content.code.value}`, ""] : []),
    ...(content.action ? [`${content.action.label}:`, content.action.url, ""] : []),
    ...(content.more ?? []).flatMap((l) => [`${l.label}: ${l.url}`, ""]),
    content.closing,
  ].join("\n");
  const html = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>${escapeHtml(content.subject)}</title></head>
<body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;line-height:1.5;max-width:36rem;margin:0 auto;padding:1rem">
<p>${escapeHtml(content.greeting)}</p>
${content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n")}
${content.code ? `<p>${escapeHtml(content.code.label)}:<br><code style="font-size:1.3em;letter-spacing:0.05em">${escapeHtml(content.code.value)}</code></p>` : ""}
${content.action ? `<p><a href="${escapeHtml(content.action.url)}" style="display:inline-block;padding:0.6em 1.2em;background:#0b6e4f;color:#fff;border-radius:6px;text-decoration:none;font-weight:600">${escapeHtml(content.action.label)}</a></p><p style="font-size:0.9em;color:#555">${escapeHtml(content.action.url)}</p>` : ""}
${(content.more ?? []).map((l) => `<p><a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a></p>`).join("\n")}
<p>${escapeHtml(content.closing)}</p>
</body></html>`;
  return { subject: content.subject, text, html };
}
