// The mail transport against a real SMTP conversation (in-process sink), and the .eml file fallback.
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { createMailer, type Mailer } from "../../src/mail/transport.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

const logger = createLogger({ level: "silent" });
const email = {
  to: "ada@example.org",
  subject: "Bitte bestätigen",
  text: "Hallo Ada, https://join.example.org/verify/abc",
  html: '<p>Hallo Ada, <a href="https://join.example.org/verify/abc">bestätigen</a></p>',
  locale: "de" as const,
  messageId: "<outbox-42@vestibule>",
};

describe("SMTP transport", () => {
  let sink: SmtpSink;
  let mailer: Mailer;
  beforeAll(async () => {
    sink = await startSmtpSink();
    mailer = createMailer(
      {
        from: "Vestibule <noreply@example.org>",
        smtp: sink.smtpConfig(),
        dataDir: "/nonexistent",
        timeoutMs: 3000,
      },
      logger,
    );
  });
  afterAll(async () => {
    mailer.close();
    await sink.stop();
  });
  beforeEach(() => {
    sink.clear();
    sink.setBehaviour({});
  });

  it("delivers a multipart text + HTML message with the given Message-ID", async () => {
    expect(await mailer.verify()).toEqual({ ok: true });
    const sent = await mailer.send(email);
    expect(sent.messageId).toBe("<outbox-42@vestibule>");
    const received = await sink.waitFor((m) => m.messageId === "<outbox-42@vestibule>");
    expect(received).toMatchObject({
      to: ["ada@example.org"],
      subject: "Bitte bestätigen",
      from: "noreply@example.org",
    });
    expect(received.text).toContain("https://join.example.org/verify/abc");
    expect(received.html).toContain('<a href="https://join.example.org/verify/abc">');
    expect(received.raw).toMatch(/multipart\/alternative/);
    expect(received.headers.get("content-language")).toBe("de");
  });

  it("never lets user input add a header or a recipient", async () => {
    await expect(mailer.send({ ...email, to: "a@b.example\r\nBcc: evil@example.org" })).rejects.toMatchObject(
      { code: "rejected" },
    );
    await expect(mailer.send({ ...email, to: "a@b.example, evil@example.org" })).rejects.toMatchObject({
      code: "rejected",
    });
    await expect(mailer.send({ ...email, to: "Evil <evil@example.org>" })).rejects.toMatchObject({
      code: "rejected",
    });
    await mailer.send({
      ...email,
      messageId: "<inject@vestibule>",
      subject: "Hi\r\nBcc: evil@example.org\r\nX-Evil: 1",
    });
    const received = await sink.waitFor((m) => m.messageId === "<inject@vestibule>");
    expect(received.to).toEqual(["ada@example.org"]);
    expect(received.headers.has("bcc")).toBe(false);
    expect(received.headers.has("x-evil")).toBe(false);
    expect(received.subject).toBe("Hi Bcc: evil@example.org X-Evil: 1");
    expect(sink.messages).toHaveLength(1);
  });

  it("a temporary refusal is unavailable (retry), a permanent one is rejected (give up)", async () => {
    sink.setBehaviour({ rejectRcpt: 451 });
    await expect(mailer.send(email)).rejects.toMatchObject({ code: "unavailable" });
    sink.setBehaviour({ rejectRcpt: 550 });
    await expect(mailer.send(email)).rejects.toMatchObject({ code: "rejected" });
    expect(sink.messages).toHaveLength(0);
  });

  it("a server that is down is unavailable, and delivery works again once it is back", async () => {
    await sink.stop();
    await expect(mailer.send(email)).rejects.toMatchObject({ code: "unavailable" });
    expect((await mailer.verify()).ok).toBe(false);
    await sink.start();
    await mailer.send({ ...email, messageId: "<back@vestibule>" });
    await sink.waitFor((m) => m.messageId === "<back@vestibule>");
  });
});

describe(".eml file transport", () => {
  it("writes each message as a parseable multipart .eml file", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "vestibule-mail-"));
    const mailer = createMailer({ from: "Vestibule <noreply@example.org>", dataDir }, logger);
    expect(mailer.describe()).toBe(`files in ${join(dataDir, "mail")}`);
    await mailer.send(email);
    const files = (await readdir(join(dataDir, "mail"))).filter((f) => f.endsWith(".eml"));
    expect(files).toHaveLength(1);
    const parsed = await simpleParser(await readFile(join(dataDir, "mail", files[0]!)));
    expect(parsed.subject).toBe("Bitte bestätigen");
    expect(parsed.text).toContain("verify/abc");
    expect(parsed.html).toContain("bestätigen");
    expect(parsed.messageId).toBe("<outbox-42@vestibule>");
  });
});
