// Answers only requests for this listener's own names (RFC 9110 §7.4): a page whose DNS name an
// attacker pointed at our address (DNS rebinding) would otherwise read /metrics, /readyz or the
// sign-in page from the victim's browser, and browsers send that name as Host. Every listener the
// service opens puts this first.

import type { IncomingMessage } from "node:http";
import type { MiddlewareHandler } from "hono";
import { type HostRules, hostMatcher } from "../util/hosts.ts";

/**
 * 421 Misdirected Request for a host that is not ours. The host is the one the adapter resolved
 * into the request's URL: the authority of an absolute-form target (which RFC 9112 §3.2.2 puts
 * before Host), else Host, else (HTTP/1.0 without one) the address listened on.
 */
export function hostGuard(rules: HostRules): MiddlewareHandler {
  const allowed = hostMatcher(rules);
  return async (c, next) => {
    const host = new URL(c.req.url).hostname;
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (allowed(host, incoming?.socket?.localAddress)) return next();
    const message = `this service does not answer to the host name ${host.slice(0, 255)}: name it in ALLOWED_HOSTS (a reverse proxy's name, say)`;
    c.header("x-content-type-options", "nosniff");
    return c.req.path.startsWith("/api/")
      ? c.json({ error: message }, 421)
      : c.text(`421 Misdirected Request: ${message}\n`, 421);
  };
}
