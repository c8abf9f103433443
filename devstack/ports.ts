import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/** Asks the kernel for a free loopback port (tests and the dev stack never hard-code ports). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
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
