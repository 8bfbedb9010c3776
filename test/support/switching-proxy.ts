import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 standing in for a load balancer: each new connection goes to the
 * current target port, and the test can switch the target, so that a client that reconnects to the
 * same URL lands on another node.
 */
export interface SwitchingProxy {
  readonly port: number;
  /** Where new connections go. */
  target: number;
  /** Connections forwarded so far, by target port. */
  readonly forwarded: Map<number, number>;
  /**
   * Cuts every client off while the server side stays open, as a network cut the server has not
   * noticed yet (a half-open connection): clients see their socket close, servers see nothing.
   */
  cutClients(): void;
  close(): Promise<void>;
}

/** Starts the forwarder on a port chosen by the OS. */
export async function startSwitchingProxy(target: number): Promise<SwitchingProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<{ inbound: Socket; outbound: Socket }>();
  const forwarded = new Map<number, number>();
  const proxy = { target, forwarded } as { target: number; forwarded: Map<number, number> };
  const server: Server = createServer((inbound) => {
    const port = proxy.target;
    forwarded.set(port, (forwarded.get(port) ?? 0) + 1);
    const outbound = createConnection({ host: '127.0.0.1', port });
    const pair = { inbound, outbound };
    pairs.add(pair);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on('close', () => pairs.delete(pair));
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return Object.assign(proxy, {
    port: address.port,
    cutClients: () => {
      for (const { inbound, outbound } of [...pairs]) {
        // The server's side keeps its socket, unread: nothing tells it the client is gone.
        outbound.unpipe(inbound);
        inbound.unpipe(outbound);
        outbound.removeAllListeners('error');
        outbound.on('error', () => undefined);
        inbound.destroy();
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
