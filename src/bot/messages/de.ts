// Was der Bot sagt, auf Deutsch.
import type { BotMessages } from "./catalog.ts";

const stateLabel: BotMessages["stateLabel"] = {
  unverified: "wartet auf die Bestätigung der E-Mail-Adresse",
  pending: "wartet auf eine Entscheidung",
  approved: "angenommen — das Konto wird angelegt",
  provisioned: "Konto angelegt",
  declined: "abgelehnt",
  failed: "angenommen — Anlegen des Kontos FEHLGESCHLAGEN",
};

/** "3T 4h": days as T (Tage); hours and minutes keep their international symbols. */
function duration(ms: number): string {
  if (ms <= 0) return "0min";
  const days = Math.floor(ms / 86_400_000);
  const hours = Math.floor((ms % 86_400_000) / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const parts = [days ? `${days}T` : "", hours ? `${hours}h` : "", minutes ? `${minutes}min` : ""].filter(
    Boolean,
  );
  return parts.length > 0 ? parts.slice(0, 2).join(" ") : "<1min";
}

export const de: BotMessages = {
  locale: "de",
  time: (date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`,
  duration,
  stateLabel,

  request: {
    title: (id, userId) => `Registrierungsanfrage #${id}: ${userId}`,
    name: "Name",
    email: "E-Mail",
    note: "Notiz der Antragstellerin / des Antragstellers",
    submitted: "Eingegangen",
    status: "Status",
    waiting: (approvals, needed, declines, neededDeclines, voters) =>
      `Wartet auf eine Entscheidung — ${approvals}/${needed} Zustimmungen, ${declines}/${neededDeclines} Ablehnungen${voters ? ` (${voters})` : ""}`,
    approvedBy: (who) => `✅ Angenommen von ${who} — das Konto wird angelegt`,
    provisionedBy: (who, userId) => `✅ Angenommen von ${who} — Konto ${userId} angelegt`,
    declinedBy: (who, reason) => `❌ Abgelehnt von ${who}${reason ? `: ${reason}` : ""}`,
    failedAfterApproval: (who, reason, retryCommand) =>
      `⚠️ Angenommen von ${who}, aber das Konto konnte nicht angelegt werden: ${reason ?? "unbekannter Fehler"} — sende ${retryCommand}`,
    howToDecide: (prefix, approvals, declines) =>
      `Reagiere mit ✅ zum Annehmen oder ❌ zum Ablehnen (${approvals} ${approvals === 1 ? "Zustimmung" : "Zustimmungen"} / ${declines} ${declines === 1 ? "Ablehnung" : "Ablehnungen"} nötig), oder antworte mit ${prefix}approve / ${prefix}decline [Grund].`,
    line: (id, userId, name, since) => `#${id} ${userId} — ${name} — seit ${since}`,
  },

  requests: {
    approved: (id) => `Anfrage #${id} angenommen; das Konto wird angelegt.`,
    declined: (id) => `Anfrage #${id} abgelehnt.`,
    approveRecorded: (id, approvals, needed) =>
      `Stimme für #${id} gezählt (${approvals}/${needed} Zustimmungen).`,
    declineRecorded: (id, declines, needed) =>
      `Stimme für #${id} gezählt (${declines}/${needed} Ablehnungen).`,
    retrying: (id) => `Anfrage #${id} wird noch einmal versucht.`,
    resent: (id) => `Neue Zugangsdaten für Anfrage #${id} verschickt.`,
    notFound: (id) => `Es gibt keine Anfrage #${id}.`,
    wrongState: (id, state) => `Anfrage #${id}: ${state}; das geht jetzt nicht.`,
    resendNotApplicable: (id) =>
      `Für Anfrage #${id} gibt es in diesem Modus keine Zugangsdaten zum erneuten Senden.`,
    alreadyHandled: (id, state) =>
      state === null ? "Das wurde schon erledigt." : `Das wurde schon erledigt: Anfrage #${id}: ${state}.`,
    noPending: "Keine Anfrage wartet auf eine Entscheidung.",
    pendingHeader: (n) => `${n} ${n === 1 ? "Anfrage wartet" : "Anfragen warten"} auf eine Entscheidung:`,
  },

  tokens: {
    notConfigured:
      "Registrierungstokens lassen sich hier nicht verwalten: das Admin-Token des Homeservers (homeserver.adminToken) ist nicht gesetzt.",
    created: "Registrierungstoken erstellt:",
    noneValid: "Keine gültigen Registrierungstokens.",
    listHeader: (n) => `${n} ${n === 1 ? "gültiges Registrierungstoken" : "gültige Registrierungstokens"}:`,
    line: (t) => {
      const uses = t.allowed === null ? `${t.used} benutzt (unbegrenzt)` : `${t.used}/${t.allowed} benutzt`;
      const pending = t.inProgress > 0 ? `, ${t.inProgress} in Arbeit` : "";
      const origin = t.createdBy ? `, von ${t.createdBy}${t.note ? ` (${t.note})` : ""}` : "";
      return `${t.token} — ${t.valid ? "gültig" : "nicht gültig"}, ${uses}${pending}, ${t.expiry}${origin}\n  ${t.inviteUrl}`;
    },
    neverExpires: "läuft nie ab",
    expired: "abgelaufen",
    expiresIn: (d) => `läuft in ${d} ab`,
    usedBy: (userId, at) => `  benutzt von ${userId} am ${at}`,
    noSuchToken: (token) => `Es gibt kein Registrierungstoken ${token}.`,
    deleted: (tokens) => `Gelöscht: ${tokens.join(", ")}.`,
    missing: (tokens) => `Nicht vorhanden: ${tokens.join(", ")}.`,
    confirmDeleteAll: (count, confirm) =>
      `Das löscht alle ${count} gültigen Einladungstokens, die über Vestibule erstellt wurden (angenommene Anfragen behalten ihre; anderswo erstellte Tokens bleiben). Sende dazu innerhalb von 2 Minuten ${confirm}.`,
    nothingToConfirm: (first) => `Nichts zu bestätigen: sende zuerst ${first}.`,
    deletedAll: (n) => `${n} ${n === 1 ? "Registrierungstoken" : "Registrierungstokens"} gelöscht.`,
  },

  permissions: {
    allowed: (subject, command) => `${subject} darf jetzt ${command} benutzen.`,
    alreadyAllowed: (subject) => `${subject} durfte das schon.`,
    disallowed: (subject, command) => `${subject} darf ${command} nicht mehr benutzen.`,
    notListed: (subject) => `${subject} stand nicht auf der Liste.`,
    onlyModerators: "Nur Moderatoren dürfen Tokens verwalten.",
    listHeader: "Außer den Moderatoren dürfen diese Tokens verwalten:",
    listLine: (subject, createdBy) => `• ${subject} (von ${createdBy})`,
    who: {
      anyone: "alle im Raum",
      moderator: "Moderatoren",
      tokens: "Moderatoren und wer mit !allow das Recht bekam",
    },
  },

  bans: {
    banned: (b) =>
      `${b.created ? "Gesperrt" : "Sperre aktualisiert"}: ${b.kind} ${b.value} (#${b.id}, ${b.duration === null ? "dauerhaft" : `für ${b.duration}`}${b.reason ? `: ${b.reason}` : ""}).`,
    invalidValue: (kind, value) => {
      const what = {
        ip: "keine IP-Adresse und kein CIDR-Block",
        email: "keine E-Mail-Adresse",
        domain: "kein Domainname",
        username: "kein gültiger regulärer Ausdruck",
      }[kind];
      return `Das lässt sich nicht sperren: „${value}“ ist ${what}.`;
    },
    lifted: "Sperre aufgehoben.",
    noSuchBan: (listCommand) => `Diese Sperre gibt es nicht. (${listCommand} listet sie auf.)`,
    none: "Keine Sperren in Kraft.",
    listHeader: (n) => `${n} ${n === 1 ? "Sperre" : "Sperren"} in Kraft:`,
    line: (b) =>
      `#${b.id}  ${b.kind.padEnd(8)} ${b.value}  (${b.until ? `bis ${b.until}` : "dauerhaft"}; von ${b.createdBy})${b.reason ? `  ${b.reason}` : ""}`,
  },

  portal: {
    linkSent: (userId) => `${userId}: Ich habe dir einen Anmeldelink als Direktnachricht geschickt.`,
    directMessage: (link, minutes) =>
      `Dein Anmeldelink für das Vestibule-Portal (${minutes} Minuten gültig, nur einmal nutzbar): ${link}`,
  },

  help: {
    header: (prefix) => `Vestibule-Befehle (Präfix ${prefix}):`,
    footer:
      "Ein Befehl, der als Antwort auf die Nachricht einer Anfrage gesendet wird, kann die ID weglassen. Reagiere mit ✅/👍 zum Annehmen, ❌/👎 zum Ablehnen; wer die Reaktion entfernt, zieht die Stimme zurück.",
    whoMay: (who, level) => `Wer darf: ${who} (Moderatoren: Berechtigungsstufe ${level} oder höher).`,
  },

  arguments: {
    missingRequest: (command) =>
      `Welche Anfrage? Schreibe ${command} ID, oder sende den Befehl als Antwort auf die Nachricht der Anfrage.`,
    missing: (label) => `${label} fehlt.`,
    invalid: {
      requestId: (value) => `„${value}“ ist keine Anfrage-ID (IDs sind Zahlen wie 12 oder #12).`,
      duration: (value) => `„${value}“ ist keine Dauer (etwa 30m, 12h, 7d oder 2w).`,
      uses: (value) => `„${value}“ ist keine Anzahl von Benutzungen (1 oder mehr, oder „unlimited“).`,
      expiry: (value) => `„${value}“ ist keine Gültigkeitsdauer (etwa 12h oder 7d, oder „never“).`,
      userId: (value) => `„${value}“ ist keine Benutzer-ID (wie @alice:example.org).`,
      subject: (value) => `„${value}“ ist keine Benutzer-ID (wie @alice:example.org) und kein /Muster/.`,
      pattern: (value) => `„${value}“ ist kein gültiger regulärer Ausdruck.`,
      banKind: (value) => `„${value}“ ist keine Art von Sperre (ip, email, domain oder username).`,
      banTarget: (value) =>
        `„${value}“ ist weder eine Sperrnummer noch eine Art von Sperre (ip, email, domain, username).`,
      token: (value) => `„${value}“ ist kein Registrierungstoken.`,
      text: (value, label) => `„${value}“ passt nicht als ${label}.`,
      command: (value) => `„${value}“ ist kein Befehl.`,
      literal: (value, label) => `„${value}“ ist hier nicht vorgesehen (${label}).`,
    },
    tooLong: (label, max) => `${label} ist länger als ${max} Zeichen.`,
    controlCharacters: (label) => `${label} enthält Steuerzeichen.`,
    unexpected: (value) => `„${value}“ ist hier nicht vorgesehen.`,
    refused: (value) => `„${value}“ lässt sich hier nicht verwenden.`,
    usage: (line) => `Aufruf: ${line}`,
  },

  refusals: {
    notModerator: (userId, level) =>
      `${userId}: Das dürfen hier nur Moderatoren (Berechtigungsstufe ${level} oder höher). Es wurde nichts geändert.`,
    unknownCommand: (prefix, name) =>
      `Unbekannter Befehl ${prefix}${name}. Sende ${prefix}help für die Liste.`,
    onlyInModeratorRoom: "Ich nehme Befehle nur im Moderationsraum an.",
  },

  failures: {
    failed: (message, incident) => `Das hat nicht geklappt: ${message} (Vorfall ${incident})`,
    codes: {
      bad_input: "Die Eingabe ist nicht gültig.",
      not_found: "Nicht gefunden.",
      forbidden: "Das ist nicht erlaubt.",
      conflict: "Das geht im jetzigen Zustand nicht.",
      rate_limited: "Zu viele Versuche. Bitte später noch einmal.",
      config: "Der Dienst ist dafür nicht eingerichtet.",
      unavailable: "Ein Dienst ist gerade nicht erreichbar. Bitte später noch einmal.",
      rejected: "Die Anfrage wurde abgewiesen.",
      internal: "Etwas ist schiefgegangen.",
    },
  },

  notices: {
    provisioningFailed: (id, localpart, reason, retryCommand) =>
      `Anfrage #${id} (${localpart}): das Konto konnte nicht angelegt werden: ${reason}. Behebe die Ursache und sende ${retryCommand}.`,
    reminderHeader: (n, hours) =>
      `Erinnerung: ${n} ${n === 1 ? "Anfrage wartet" : "Anfragen warten"} seit mehr als ${hours} h:`,
    reminderLine: (id, userId, since) => `#${id} ${userId} — wartet seit ${since}`,
    encryptedRoom:
      "Dieser Raum ist Ende-zu-Ende-verschlüsselt. Vestibule unterstützt Verschlüsselung noch nicht und postet hier deshalb keine Details von Anfragen. Nutze einen unverschlüsselten Moderationsraum.",
  },

  paramLabels: {
    id: "ID",
    reason: "GRUND",
    uses: "BENUTZUNGEN",
    expiry: "GÜLTIGKEIT",
    token: "TOKEN",
    tokens: "TOKEN",
    confirm: "confirm",
    subject: "@BENUTZER:SERVER|/MUSTER/",
    kind: "ip|email|domain|username",
    value: "WERT",
    duration: "DAUER",
    ban: "ID|ART WERT",
    command: "BEFEHL",
  },

  summaries: {
    approve: "für die Annahme einer Anfrage stimmen",
    decline: "für die Ablehnung einer Anfrage stimmen; der Grund geht an die Person",
    pending: "die Anfragen auflisten, die auf eine Entscheidung warten",
    show: "eine Anfrage und ihre Stimmen zeigen",
    retry: "das Konto einer fehlgeschlagenen Anfrage noch einmal anlegen",
    resend: "der Person einen neuen Link zum Setzen des Passworts (oder zur Registrierung) schicken",
    "token create":
      "ein Registrierungstoken (Einladungslink) erstellen; standardmäßig 1 Benutzung, 7 Tage gültig",
    "token list": "die gültigen Registrierungstokens auflisten",
    "token show": "ein Registrierungstoken zeigen und wer es benutzt hat",
    "token delete": "Registrierungstokens löschen",
    "token delete-all": "alle über Vestibule erstellten Einladungstokens löschen (fragt vorher)",
    allow: "jemandem ohne Moderationsrechte erlauben, Registrierungstokens zu verwalten",
    disallow: "dieses Recht wieder entziehen",
    allowed: "wer außer den Moderatoren Tokens verwalten darf",
    ban: "Registrierungen von einer IP/CIDR, E-Mail-Adresse, Domain oder einem Benutzernamen-Muster abweisen; z. B. ban domain spam.example 30d",
    unban: "eine Sperre aufheben",
    bans: "die geltenden Sperren auflisten",
    login: "einen einmaligen Anmeldelink für das Webportal bekommen (privat geschickt)",
    help: "diese Liste; help BEFEHL für einen Befehl",
  },
};
