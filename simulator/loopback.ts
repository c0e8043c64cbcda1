// Listening and closing, as every fake does them: on loopback only, on a port the OS chooses (or
// the same port again, when a fake comes back after going down), closing its open connections too.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on 127.0.0.1 and resolves with the port. */
export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** Stops listening and drops every connection, kept alive or not. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A port free on 127.0.0.1 now, for a listener another process opens (the exporter's intake). */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await closeServer(server);
  return port;
}
