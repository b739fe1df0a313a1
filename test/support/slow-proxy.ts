// An HTTP proxy in front of the homeserver that can hold back the answer to chosen requests: the request has
// reached (and changed) the homeserver, but the caller has not heard back yet — the window a crash test needs.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";

export interface SlowProxy {
  url: string;
  /** Hold the answers to requests matching `match` for `ms`; resolves `held` when the first one is held. */
  hold(match: (method: string, path: string) => boolean, ms: number): { held: Promise<void> };
  release(): void;
  close(): Promise<void>;
}

export async function startSlowProxy(upstream: string): Promise<SlowProxy> {
  const target = new URL(upstream);
  let rule: { match: (method: string, path: string) => boolean; ms: number; onHeld: () => void } | undefined;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const upstreamRequest = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (upstreamResponse) => {
          const body: Buffer[] = [];
          upstreamResponse.on("data", (c: Buffer) => body.push(c));
          upstreamResponse.on("end", () => {
            const answer = () => {
              if (res.destroyed) return;
              res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
              res.end(Buffer.concat(body));
            };
            const current = rule;
            if (current && current.match(req.method ?? "GET", req.url ?? "/")) {
              current.onHeld();
              setTimeout(answer, current.ms);
            } else answer();
          });
        },
      );
      upstreamRequest.on("error", () => {
        if (!res.headersSent) res.writeHead(502).end();
      });
      upstreamRequest.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hold(match, ms) {
      let onHeld!: () => void;
      const held = new Promise<void>((resolve) => (onHeld = resolve));
      rule = { match, ms, onHeld };
      return { held };
    },
    release() {
      rule = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
