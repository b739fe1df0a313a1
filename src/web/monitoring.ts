// Who may see how the service is doing: /metrics and the details of /healthz (versions, hosts, room ids, errors).
// Everyone else gets a bare status from /healthz — enough for a load balancer — and a 403 from /metrics.
// The audience is web.metricsAllowFrom, checked against the CLIENT's address (behind a trusted proxy, the
// forwarded one: a proxy on the same host must not make every visitor look like loopback), or, when
// web.metricsToken is set, whoever sends it as a bearer token (and nobody else).
import { constantTimeEqual } from "../crypto/tokens.ts";
import { clientAddress, ipMatcher } from "./ip.ts";

export interface MonitoringSettings {
  trustedProxies: readonly string[];
  metricsAllowFrom: readonly string[];
  metricsToken?: string | undefined;
}

export interface MonitoringRequest {
  /** The direct peer's address. */
  peer: string;
  forwardedFor: string | undefined;
  authorization: string | undefined;
}

export function monitoringAudience(settings: MonitoringSettings): (request: MonitoringRequest) => boolean {
  const trusted = settings.trustedProxies.length === 0 ? () => false : ipMatcher(settings.trustedProxies);
  const allowed = settings.metricsAllowFrom.length === 0 ? () => true : ipMatcher(settings.metricsAllowFrom);
  const token = settings.metricsToken;
  return (request) => {
    if (token !== undefined) {
      const bearer = /^Bearer (.+)$/.exec(request.authorization ?? "")?.[1];
      return bearer !== undefined && constantTimeEqual(bearer, token);
    }
    return allowed(clientAddress(trusted, request.peer, request.forwardedFor));
  };
}

/** /healthz for someone outside the audience: the overall status only. */
export function publicHealth<T extends { status: string }>(snapshot: T): { status: string } {
  return { status: snapshot.status };
}
