// A real HTTP receiver of webhooks on loopback for integration tests: records every request
// (headers, raw body, when) and answers as the test's `answer` says (status, delay).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookPayload } from '../../webhooks/payload.js';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  payload: WebhookPayload;
  at: number;
}

export interface Answer {
  status: number;
  delayMs?: number;
  body?: string;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** The deliveries whose signature `secret` verifies with the standardwebhooks library (throws on the first that does not). */
  verified(secret: string): WebhookPayload[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(answer: (request: ReceivedWebhook, index: number) => Answer = () => ({ status: 200 })): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: ReceivedWebhook = { headers: req.headers, body, payload: JSON.parse(body) as WebhookPayload, at: Date.now() };
      received.push(request);
      const a = answer(request, received.length - 1);
      const send = (): void => {
        if (!res.destroyed) res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body ?? `answered ${a.status}`);
      };
      if (a.delayMs) setTimeout(send, a.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    verified(secret) {
      const webhook = new Webhook(secret);
      return received.map((r) => webhook.verify(r.body, r.headers as Record<string, string>) as WebhookPayload);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it returns true (or throws after `timeoutMs`, naming `what`). */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
