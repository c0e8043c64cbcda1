// A TCP proxy in front of a real server (PostgreSQL) that a test can cut, stall and heal: the
// database "goes down" for the exporter (connections reset, new ones refused), or stops answering
// while every socket stays open (a hung pooler, a NAT that dropped its state), while it keeps
// running for everyone else.

import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** host:port to connect to instead of the target. */
  readonly address: string;
  /** Resets every connection and refuses new ones until heal(). */
  cut(): void;
  /**
   * Forwards nothing more, in either direction, on every connection open now and every one
   * accepted until heal(), and closes none of them: their bytes are lost for good, as behind a
   * NAT that dropped its state. Only the client closing its end ends one.
   */
  stall(): void;
  /** New connections reach the target again (stalled ones stay stalled). */
  heal(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | null;
  stalled: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Pair>();
  let mode: "up" | "down" | "stalled" = "up";
  const server: Server = createServer((client) => {
    if (mode === "down") {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: null, stalled: mode === "stalled" };
    open.add(pair);
    client.on("close", () => {
      open.delete(pair);
      pair.upstream?.destroy();
    });
    client.on("error", () => client.destroy());
    if (pair.stalled) return;
    pair.upstream = connectTo(target, pair);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const cut = () => {
    mode = "down";
    for (const pair of open) {
      pair.client.resetAndDestroy();
      pair.upstream?.resetAndDestroy();
    }
    open.clear();
  };
  return {
    address: `127.0.0.1:${port}`,
    cut,
    stall() {
      mode = "stalled";
      for (const pair of open) pair.stalled = true;
    },
    heal() {
      mode = "up";
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Forwards both ways until the pair stalls; a side that ends or fails ends the other. */
function connectTo(target: { host: string; port: number }, pair: Pair): Socket {
  const { client } = pair;
  const upstream: Socket = connect(target.port, target.host);
  client.on("data", (chunk) => {
    if (!pair.stalled) upstream.write(chunk);
  });
  upstream.on("data", (chunk) => {
    if (!pair.stalled) client.write(chunk);
  });
  const end = () => {
    if (pair.stalled) return;
    client.destroy();
    upstream.destroy();
  };
  client.on("end", end);
  upstream.on("end", end);
  upstream.on("error", () => {
    upstream.destroy();
    end();
  });
  return upstream;
}
