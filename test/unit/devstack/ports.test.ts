// devstack/ports.ts freePort: the port it returns is held in TIME_WAIT, out of the kernel's own
// picks (what the Temporal CLI's dev server uses for its internal ports), and still free for the
// explicit bind of whoever it was chosen for.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../devstack/ports.js';

const TIME_WAIT = '06';

/** The TCP states of loopback sockets on `port` (Linux /proc/net/tcp: local address, remote address, state). */
function tcpStates(port: number): string[] {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(hex))
    .map((fields) => fields[3]!);
}

describe('freePort', () => {
  it.runIf(process.platform === 'linux')('leaves the port in TIME_WAIT, so the kernel does not hand it out again at once', async () => {
    const port = await freePort();
    expect(tcpStates(port)).toContain(TIME_WAIT);
  });

  it('returns a port an explicit listen gets at once', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('gives distinct ports when asked many times in a row', async () => {
    const ports = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(50);
  });
});
