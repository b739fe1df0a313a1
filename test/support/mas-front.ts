// A homeserver front that makes a real Synapse look like one that delegates authentication to MAS
// (`matrix_authentication_service.enabled`), for tests of MAS detection (issue 12).
//
// What Synapse 1.160 does differently under MAS, read from its source (the copy installed in the test chroot):
// - it answers `GET /_matrix/client/v1/auth_metadata` and the MSC2965 forms
//   `/_matrix/client/unstable/org.matrix.msc2965/auth_metadata` and `…/auth_issuer` with MAS's provider metadata
//   (rest/client/auth_metadata.py), with a `Cache-Control: public, max-age=600, …` header;
// - `POST /register` is RegisterAppServiceOnlyRestServlet: 403 M_FORBIDDEN for anything but an application
//   service registration (rest/client/register.py);
// - it does not route (so its router answers 404 M_UNRECOGNIZED "Unrecognized request"): /register/available, the
//   MSC3231 token validity check, the registration and 3PID requestToken/submit_token endpoints, /login (and its
//   SSO/CAS/refresh servlets), /logout, /account/password, /account/deactivate, /account/3pid/add|delete,
//   /delete_devices, and on the admin API shared-secret /register, /reset_password, /account_validity/validity,
//   /users/<id>/admin, /users/<id>/login and the registration-token API (rest/admin/__init__.py).
// Everything else passes through — including `PUT /_synapse/admin/v2/users/<id>`, which still creates a Synapse
// user that MAS does not know and that therefore can never log in: the trap Vestibule must not walk into.
//
// On a real deployment the reverse proxy sends /login and /logout to MAS (compatibility login); pass `mas` to do
// the same with the MAS stand-in, or leave it out and they are not routed at all.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";

export interface MasFrontOptions {
  /** The real Synapse behind the front. */
  upstream: string;
  /** MAS's issuer (what auth_issuer answers and auth_metadata names). */
  issuer: string;
  /** MAS's base URL: auth_metadata is then its /.well-known/openid-configuration, and /login goes there. */
  mas?: string;
  /** Listen on this port (default: any free port). */
  port?: number;
}

export interface MasFront {
  url: string;
  /** Requests the front answered itself instead of passing them on (path and status), newest last. */
  answered: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

const CLIENT = String.raw`^/_matrix/client/(?:api/v1|r0|v1|v3|unstable(?:/[^/]+)?)`;
const ADMIN = String.raw`^/_synapse/admin/v1`;

/** Paths Synapse does not route when MAS is enabled (a path regex each; every method). */
export const HIDDEN_UNDER_MAS: readonly RegExp[] = [
  `${CLIENT}/register/available$`,
  String.raw`${CLIENT}/register/(?:m\.login\.registration_token|org\.matrix\.msc3231\.login\.registration_token)/validity$`,
  `${CLIENT}/register/(?:email|msisdn)/requestToken$`,
  `${CLIENT}/registration/[^/]*/submit_token$`,
  `${CLIENT}/login$`,
  `${CLIENT}/login/(?:cas|sso)/redirect(?:/[^/]+)?$`,
  `${CLIENT}/login/cas/ticket$`,
  `${CLIENT}/refresh$`,
  `${CLIENT}/logout(?:/all)?$`,
  `${CLIENT}/account/password(?:/email/requestToken)?$`,
  `${CLIENT}/account/deactivate$`,
  `${CLIENT}/account/3pid/(?:email|msisdn)/requestToken$`,
  `${CLIENT}/add_threepid/(?:email|msisdn)/submit_token$`,
  `${CLIENT}/account/3pid/(?:add|delete)$`,
  `${CLIENT}/delete_devices$`,
  `${ADMIN}/register$`,
  `${ADMIN}/reset_password/[^/]*$`,
  `${ADMIN}/account_validity/validity$`,
  `${ADMIN}/users/[^/]*/admin$`,
  `${ADMIN}/users/[^/]*/login$`,
  `${ADMIN}/registration_tokens(?:/[^/]*)?$`,
].map((source) => new RegExp(source));

const REGISTER = new RegExp(`${CLIENT}/register$`);
const AUTH_METADATA = /^\/_matrix\/client\/(?:v1|unstable\/org\.matrix\.msc2965)\/auth_metadata$/;
const AUTH_ISSUER = /^\/_matrix\/client\/unstable\/org\.matrix\.msc2965\/auth_issuer$/;
const PROXIED_TO_MAS = /^\/_matrix\/client\/(?:r0|v3)\/(?:login|logout(?:\/all)?|refresh)$/;

function forward(target: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const upstream = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  upstream.end(body);
}

export async function startMasFront(options: MasFrontOptions): Promise<MasFront> {
  const synapse = new URL(options.upstream);
  const mas = options.mas ? new URL(options.mas) : undefined;
  const answered: MasFront["answered"] = [];

  /** Synapse under MAS fetches MAS's metadata; without a MAS, the fields a client needs to find the issuer. */
  async function metadata(): Promise<unknown> {
    if (mas) {
      const response = await fetch(new URL("/.well-known/openid-configuration", mas));
      return response.json();
    }
    const issuer = options.issuer.replace(/\/?$/, "/");
    return {
      issuer,
      authorization_endpoint: `${issuer}authorize`,
      token_endpoint: `${issuer}oauth2/token`,
      registration_endpoint: `${issuer}oauth2/registration`,
      revocation_endpoint: `${issuer}oauth2/revoke`,
      account_management_uri: `${issuer}account/`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      code_challenge_methods_supported: ["S256"],
    };
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? "GET";
      const path = new URL(req.url ?? "/", "http://front").pathname;
      const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        answered.push({ method, path, status });
        res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(json));
      };
      const unrecognized = () => answer(404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
      const cache = { "cache-control": "public, max-age=600, s-maxage=3600, stale-while-revalidate=600" };

      if (AUTH_METADATA.test(path) || AUTH_ISSUER.test(path)) {
        if (method !== "GET" && method !== "HEAD")
          return answer(405, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
        if (AUTH_ISSUER.test(path)) return answer(200, { issuer: options.issuer }, cache);
        metadata().then(
          (doc) => answer(200, doc, cache),
          () => answer(500, { errcode: "M_UNKNOWN", error: "Internal server error" }),
        );
        return;
      }
      if (mas && PROXIED_TO_MAS.test(path)) return forward(mas, req, body, res);
      if (HIDDEN_UNDER_MAS.some((re) => re.test(path))) return unrecognized();
      if (REGISTER.test(path) && method === "POST") {
        let type: unknown;
        try {
          type = (JSON.parse(body.toString("utf8") || "{}") as { type?: unknown }).type;
        } catch {
          type = undefined;
        }
        if (type !== "m.login.application_service")
          return answer(403, {
            errcode: "M_FORBIDDEN",
            error:
              "Registration has been disabled. Only m.login.application_service registrations are allowed.",
          });
      }
      forward(synapse, req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
