// Serves a Hono app on "host:port" with @hono/node-server and closes it cleanly.
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import type { Hono } from "hono";
import { AppError } from "../errors.ts";

export interface Listener {
  /** The bound address (port 0 in the config picks a free port; tests use that). */
  host: string;
  port: number;
  /** What the socket is bound to, as "host:port" ("0.0.0.0:8080", "[::]:8080"): for the log and for operators. */
  address: string;
  /** A URL this machine can reach the listener at (loopback when bound to all interfaces); for tests and probes. */
  url: string;
  /** Serves another app from now on (the start-up answer is replaced by the real site once it is built). */
  use(app: Pick<Hono, "fetch">): void;
  close(): Promise<void>;
}

export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new AppError("config", `listen address "${value}" is not host:port`);
  return { host: match[1] ?? match[2] ?? "0.0.0.0", port };
}

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Which setting a listener comes from, so that a failure to bind names what the operator can change. */
export interface ListenSetting {
  /** The config key, e.g. "web.listen". */
  key: string;
  /** Its environment variable, e.g. "VESTIBULE_WEB_LISTEN". */
  envName: string;
}

/**
 * Why the socket could not be bound, in one sentence naming the setting. These are the ways a listen address
 * fails on an operator's machine; anything else stays a plain error (a bug or a broken system).
 */
function bindFailure(
  error: NodeJS.ErrnoException,
  address: string,
  setting: ListenSetting | undefined,
): AppError | undefined {
  const reason: Record<string, string> = {
    EADDRINUSE: "is already in use by another program (another vestibule still running?)",
    EACCES: "may not be bound by this user (ports below 1024 need privileges)",
    EADDRNOTAVAIL: "is not an address of this machine",
    ENOTFOUND: "names a host that does not resolve",
    EAI_AGAIN: "names a host that does not resolve",
  };
  const why = error.code ? reason[error.code] : undefined;
  if (!why) return undefined;
  const message = setting
    ? `config: ${setting.key}: ${address} ${why}; choose another address with ${setting.key} or ${setting.envName}`
    : `listen address ${address} ${why}`;
  return new AppError("config", message, { cause: error, detail: { errno: error.code } });
}

// Hono's generics vary per app; the listener only needs `fetch`.
export async function listen(
  app: Pick<Hono, "fetch">,
  address: string,
  setting?: ListenSetting,
): Promise<Listener> {
  const { host, port } = parseListen(address);
  let current = app;
  const fetch: Hono["fetch"] = (request, env, context) => current.fetch(request, env, context);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch, hostname: host, port }, () => resolve(s));
    s.once("error", (error: NodeJS.ErrnoException) => reject(bindFailure(error, address, setting) ?? error));
  });
  const info = server.address() as AddressInfo;
  // A wildcard address is not something to connect to: local callers use loopback of the same family.
  // (127.0.0.1 for "::" too: a dual-stack socket accepts IPv4, and IPv6 loopback may be switched off.)
  const local = info.address === "0.0.0.0" || info.address === "::" ? "127.0.0.1" : info.address;
  return {
    host,
    port: info.port,
    address: hostPort(info.address, info.port),
    url: `http://${hostPort(local, info.port)}`,
    use(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would hold close() open until they time out.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
