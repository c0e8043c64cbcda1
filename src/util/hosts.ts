// Which host names a listener answers to (ALLOWED_HOSTS, HTTP_HOST), as pure functions: the web
// layer's guard (web/host-guard.ts) applies them to each request, the settings validate with them.

import { isIP } from "node:net";

/** Listening on every address: HTTP_HOST unset or a wildcard (as the image and Kubernetes do). */
const EVERY_ADDRESS = new Set(["", "0.0.0.0", "[::]"]);

/**
 * A host as compared: what the URL parser makes of it (lowercase, IPv6 in brackets and in its
 * shortest form, IPv4 in dotted decimal), without a trailing dot; null when it is not a host.
 */
export function canonicalHost(host: string): string | null {
  const trimmed = host.trim();
  if (trimmed === "") return "";
  const v6 = isIP(trimmed) === 6;
  // A port is not part of a host (the URL parser would drop a scheme's default one silently).
  if (!v6 && /:[^\]]*$/.test(trimmed)) return null;
  const bracketed = v6 ? `[${trimmed}]` : trimmed;
  try {
    const url = new URL(`http://${bracketed}/`);
    if (url.port !== "" || url.username !== "" || url.password !== "") return null;
    if (`${url.hostname}` === "" || /[/?#@]/.test(bracketed)) return null;
    return url.hostname.replace(/\.$/, "");
  } catch {
    return null;
  }
}

/** Why an ALLOWED_HOSTS entry is not a host name or address, or undefined. */
export function hostNameProblem(entry: string): string | undefined {
  const host = canonicalHost(entry);
  if (host === null || host === "" || !/^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)$/.test(host)) {
    return `"${entry}" is not a host name or an IP address (a name goes without scheme or port)`;
  }
  return undefined;
}

export interface HostRules {
  /** HTTP_HOST as set: the address or name the listener binds to. */
  listen: string;
  /** ALLOWED_HOSTS: further names (a reverse proxy's, a Service's), exact, in any case. */
  names: readonly string[];
}

/**
 * Whether a request naming `host` (its Host header, or the authority of an absolute-form target)
 * is for this listener. DNS rebinding points a name the attacker controls at our address, so a
 * name is accepted only when it is ours: localhost, HTTP_HOST, ALLOWED_HOSTS. An IP address cannot
 * be rebound, so an address is accepted when it is the one bound to (`local`: the connection's
 * own address, which differs from HTTP_HOST when that is a name) or, listening on every address,
 * any address: probes and Prometheus in Kubernetes name the pod's IP, Docker's port mapping and
 * a NodePort the host's.
 */
export function hostMatcher(rules: HostRules): (host: string, local?: string) => boolean {
  const listen = canonicalHost(rules.listen) ?? rules.listen;
  const names = new Set(["localhost", listen, ...rules.names.map((n) => canonicalHost(n) ?? n)]);
  const everyAddress = EVERY_ADDRESS.has(listen);
  return (host, local) => {
    const name = canonicalHost(host);
    if (name === null || name === "") return false;
    if (names.has(name)) return true;
    const address = isIP(name.replace(/^\[(.*)\]$/, "$1")) !== 0;
    if (!address) return false;
    if (everyAddress) return true;
    // An IPv4 connection to a dual-stack socket shows its address as ::ffff:a.b.c.d.
    const own = local === undefined ? null : canonicalHost(local.replace(/^::ffff:(?=\d+\.)/, ""));
    return own === name;
  };
}
