// A TCP proxy in front of a real server (PostgreSQL) that a test can cut and heal: the database
// "goes down" for the exporter (connections reset, new ones refused) while it keeps running for
// everyone else.

import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** host:port to connect to instead of the target. */
  readonly address: string;
  /** Resets every connection and refuses new ones until heal(). */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connectTo(target, client);
    open.add(client).add(upstream);
    const forget = () => {
      open.delete(client);
      open.delete(upstream);
    };
    client.on("close", forget);
    upstream.on("close", forget);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const cut = () => {
    down = true;
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
  };
  return {
    address: `127.0.0.1:${port}`,
    cut,
    heal() {
      down = false;
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function connectTo(target: { host: string; port: number }, client: Socket): Socket {
  const upstream: Socket = connect(target.port, target.host);
  client.pipe(upstream).pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", end);
  upstream.on("error", end);
  return upstream;
}
