// A TCP forwarder on loopback that a test can close and open again on the same port: what a
// network partition between the daemon and one of its services looks like (connections refused,
// open ones reset), with the real service behind it. No protocol is touched.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpGate {
  /** host:port to dial instead of the target. */
  readonly address: string;
  /** Resets every open connection and stops listening: dialing the address is refused. */
  close(): Promise<void>;
  /** Listens on the same port again and forwards to the target. */
  open(): Promise<void>;
}

/** Forwards 127.0.0.1:<free port> to `target` ("host:port") while open. */
export async function startTcpGate(target: string): Promise<TcpGate> {
  const separator = target.lastIndexOf(':');
  const [targetHost, targetPort] = [target.slice(0, separator), Number(target.slice(separator + 1))];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve((s.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);
  return {
    address: `127.0.0.1:${port}`,
    async close() {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.resetAndDestroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async open() {
      if (!server) await listen(port);
    },
  };
}
