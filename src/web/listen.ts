// Serves a Hono app on "host:port" with @hono/node-server and closes it cleanly.
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import type { Hono } from "hono";
import { AppError } from "../errors.ts";

export interface Listener {
  /** The bound address (port 0 in the config picks a free port; tests use that). */
  host: string;
  port: number;
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

// Hono's generics vary per app; the listener only needs `fetch`.
export async function listen(app: Pick<Hono, "fetch">, address: string): Promise<Listener> {
  const { host, port } = parseListen(address);
  let current = app;
  const fetch: Hono["fetch"] = (request, env, context) => current.fetch(request, env, context);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch, hostname: host, port }, () => resolve(s));
    s.once("error", reject);
  });
  // Keep-alive sockets would hold close() open until they time out.
  const info = server.address() as AddressInfo;
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return {
    host,
    port: info.port,
    url: `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${info.port}`,
    use(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
