// Who is asking, and over what. Behind a reverse proxy every request comes from the proxy's address
// over plain http, so the client's address and protocol are only known from X-Forwarded-For and
// X-Forwarded-Proto; those headers are believed only from proxies the operator lists in
// TRUSTED_PROXIES, since anyone else can forge them.

import { isIP } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { Trusted } from "../util/addresses.ts";

/** "::ffff:10.0.0.1" is 10.0.0.1: Node reports IPv4 peers so on dual-stack sockets. */
function plain(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function isTrusted(trusted: Trusted, address: string): boolean {
  const version = isIP(address);
  return (
    trusted !== null && version !== 0 && trusted.check(address, version === 4 ? "ipv4" : "ipv6")
  );
}

function peerOf(c: Context): string {
  try {
    return plain(getConnInfo(c).remote.address ?? "unknown");
  } catch {
    // In-process requests (tests) have no socket.
    return "unknown";
  }
}

export interface Client {
  address: string;
  https: boolean;
}

export function clientOf(c: Context, trusted: Trusted): Client {
  const peer = peerOf(c);
  const direct = { address: peer, https: new URL(c.req.url).protocol === "https:" };
  if (!isTrusted(trusted, peer)) return direct;
  // The rightmost address not of a trusted proxy is the client; those left of it are its claims.
  const hops = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((hop) => plain(hop.trim()))
    .filter((hop) => isIP(hop) !== 0);
  let address = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    address = hops[i] as string;
    if (!isTrusted(trusted, address)) break;
  }
  const proto = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return { address, https: proto === undefined ? direct.https : proto === "https" };
}
