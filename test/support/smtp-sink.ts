// A real SMTP server in the test process that records every message it accepts. It can be stopped and started on
// the same port (fault tests) and told to refuse, delay or drop.
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import { simpleParser } from "mailparser";

export interface SinkMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Map<string, unknown>;
  raw: string;
  /** Date.now() when the message's data had fully arrived (before parsing). */
  receivedAt: number;
}

export interface SinkBehaviour {
  /** Answer RCPT TO with this code (550 permanent, 451 temporary). */
  rejectRcpt?: 550 | 451;
  /** Wait this long after the message data arrived before answering 250. */
  delayDataMs?: number;
}

export interface SmtpSink {
  host: string;
  port: number;
  messages: SinkMessage[];
  waitFor(predicate: (m: SinkMessage) => boolean, options?: { timeoutMs?: number }): Promise<SinkMessage>;
  waitForCount(
    count: number,
    options?: { timeoutMs?: number; predicate?: (m: SinkMessage) => boolean },
  ): Promise<SinkMessage[]>;
  clear(): void;
  setBehaviour(behaviour: SinkBehaviour): void;
  /** Resolves when a message's data has arrived and the sink is holding back its answer (delayDataMs). */
  dataArrived(): Promise<void>;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** `mail.smtp` settings that point at this sink. */
  smtpConfig(): { host: string; port: number; secure: false; starttls: false };
}

export async function startSmtpSink(options: { port?: number } = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const waiters = new Set<() => void>();
  const dataListeners = new Set<() => void>();
  let behaviour: SinkBehaviour = {};
  let port = options.port ?? 0;
  let server: SMTPServer | undefined;

  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const listen = async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      logger: false,
      size: 50 * 1024 * 1024,
      onRcptTo(address, _session, callback) {
        if (behaviour.rejectRcpt) {
          const error = Object.assign(
            new Error(behaviour.rejectRcpt === 550 ? "mailbox unavailable" : "try again later"),
            {
              responseCode: behaviour.rejectRcpt,
            },
          );
          callback(error);
          return;
        }
        void address;
        callback();
      },
      onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks);
          const receivedAt = Date.now();
          const accept = async () => {
            if (behaviour.delayDataMs) {
              for (const listener of [...dataListeners]) listener();
              await new Promise((r) => setTimeout(r, behaviour.delayDataMs));
            }
            // A client that went away before its final 250 did not hand the message over (RFC 5321 §4.1.1.4): like a
            // real server, deliver nothing.
            type Connection = { session: { id: string }; _closed: boolean; _socket: { destroyed: boolean } };
            const open =
              (server as unknown as { connections?: Set<Connection> }).connections ?? new Set<Connection>();
            const connection = [...open].find((c) => c.session.id === session.id);
            if (!connection || connection._closed || connection._socket.destroyed) return;
            if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded)
              return callback(new Error("too big"));
            const parsed = await simpleParser(raw);
            messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? "",
              text: parsed.text ?? "",
              html: typeof parsed.html === "string" ? parsed.html : "",
              messageId: parsed.messageId ?? "",
              headers: parsed.headers,
              raw: raw.toString("utf8"),
              receivedAt,
            });
            callback();
            notify();
          };
          accept().catch((error: unknown) => callback(error as Error));
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("error", reject);
      server!.listen(port, "127.0.0.1", () => resolve());
    });
    server.on("error", () => undefined);
    port = (server.server.address() as { port: number }).port;
  };
  await listen();

  const sink: SmtpSink = {
    host: "127.0.0.1",
    get port() {
      return port;
    },
    messages,
    waitFor(predicate, { timeoutMs = 15_000 } = {}) {
      return sink.waitForCount(1, { timeoutMs, predicate }).then((found) => found[0]!);
    },
    waitForCount(count, { timeoutMs = 15_000, predicate = () => true } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.filter(predicate);
          if (found.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = messages.map((m) => `${m.to.join(",")}: ${m.subject}`).join("; ") || "nothing";
          reject(
            new Error(
              `SMTP sink: wanted ${count} matching message(s) within ${timeoutMs} ms; received: ${seen}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    clear() {
      messages.length = 0;
    },
    setBehaviour(next) {
      behaviour = next;
    },
    dataArrived() {
      return new Promise((resolve) => {
        const once = () => {
          dataListeners.delete(once);
          resolve();
        };
        dataListeners.add(once);
      });
    },
    async stop() {
      const current = server;
      server = undefined;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    async start() {
      if (!server) await listen();
    },
    smtpConfig: () => ({ host: "127.0.0.1", port, secure: false, starttls: false }),
  };
  return sink;
}
