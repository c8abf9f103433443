import { randomInt } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';

/**
 * Asks the kernel for a free loopback port and keeps the kernel from handing it out again for about
 * a minute (tests and the dev stack never hard-code ports). A port merely bound and closed goes back
 * to the pool at once, and the Temporal CLI's dev server picks its own internal ports from the same
 * pool after we chose ours: a bench run failed with "address already in use" on the port we had
 * passed it. So, as the CLI's own GetFreePort does (temporalcli/devserver/freeport.go), one
 * connection is made to the port and the server side closes first: that socket waits in TIME_WAIT,
 * which keeps the port out of the kernel's picks (bind to port 0) while an explicit bind with
 * SO_REUSEADDR — what Node, Go, PostgreSQL and Python's http.server do — still gets it. So the port is
 * for such a process: a plain bind without SO_REUSEADDR fails with EADDRINUSE for about a minute.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.unref();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  const client = connect(address.port, host);
  client.on('error', () => {});
  const serverSide = await accepted;
  await new Promise<void>((resolve) => {
    // The server side closes first, so the TIME_WAIT is on the listening port's side.
    serverSide.once('close', () => resolve());
    serverSide.destroy();
  });
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** True when something already listens on host:port. */
export async function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

/**
 * A free loopback port in [min, max], tried at random (the kernel's own picks are above 32767).
 * Throws when 200 tries found none.
 */
export async function freePortInRange(min: number, max: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = randomInt(min, max + 1);
    if (!(await portInUse(port, host))) return port;
  }
  throw new Error(`no free port between ${min} and ${max} on ${host}`);
}
