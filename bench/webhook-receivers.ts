// Webhook receivers for `npm run bench:events`, in a process of their own so that what receiving
// costs (a merchant's side, not the daemon's) is measured apart from the daemon, PostgreSQL and the
// bench process. Each receiver is a loopback HTTP server that reads the body and answers 200 at
// once; it counts requests and distinct webhook-ids (a repeat is a delivery made twice).
//
// Spawned by spawnWebhookReceivers below: BENCH_WEBHOOK_RECEIVERS='{"count":2,"file":"…"}' node
// --import tsx bench/webhook-receivers.ts writes the receivers' URLs to `file`, then prints
// "receivers-ready". `GET /count` on any of them answers every receiver's counts, in URL order.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { spawnReadyChild } from '../test/support/ready-child.js';

export interface ReceiverCounts {
  /** POSTs received. */
  requests: number;
  /** Distinct webhook-id headers among them. */
  distinctIds: number;
}

export interface WebhookReceivers {
  readonly pid: number;
  /** One URL per receiver (http://127.0.0.1:<port>/hooks). */
  readonly urls: string[];
  counts(): Promise<ReceiverCounts[]>;
  stop(): Promise<void>;
}

const SPEC_VARIABLE = 'BENCH_WEBHOOK_RECEIVERS';

/** Starts `count` receivers in one child process; resolves once they listen. */
export async function spawnWebhookReceivers(count: number, urlsFile: string): Promise<WebhookReceivers> {
  const child = await spawnReadyChild(fileURLToPath(import.meta.url), {
    env: { ...process.env, [SPEC_VARIABLE]: JSON.stringify({ count, file: urlsFile }) },
    readyLine: 'receivers-ready',
    what: 'webhook receivers process',
    readyTimeoutMs: 60_000,
  });
  const urls = JSON.parse(await readFile(urlsFile, 'utf8')) as string[];
  return {
    pid: child.pid,
    urls,
    async counts() {
      const response = await fetch(new URL('/count', urls[0]));
      return (await response.json()) as ReceiverCounts[];
    },
    stop: () => child.kill('SIGTERM'),
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env[SPEC_VARIABLE] ?? '') as { count: number; file: string };
  const tallies = Array.from({ length: spec.count }, () => ({ requests: 0, ids: new Set<string>() }));
  const counts = (): ReceiverCounts[] => tallies.map((t) => ({ requests: t.requests, distinctIds: t.ids.size }));
  const servers: Server[] = tallies.map((tally) =>
    createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/count') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts()));
      req.resume();
      req.on('end', () => {
        tally.requests += 1;
        tally.ids.add(String(req.headers['webhook-id']));
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    }),
  );
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  await writeFile(spec.file, JSON.stringify(servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hooks`)));
  process.once('SIGTERM', () => {
    for (const server of servers) server.closeAllConnections();
    process.exit(0);
  });
  process.stdout.write('receivers-ready\n');
}

if (process.env[SPEC_VARIABLE] && process.argv[1] === fileURLToPath(import.meta.url)) await main();
