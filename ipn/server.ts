// The IPN endpoint: Amazon's SNS deliveries are parsed, verified, written to the inbox and
// acknowledged 200 only once the insert has committed; anything that cannot be stored gets a
// non-2xx so SNS delivers it again. Bad input gets a 4xx with a reason, never a stack trace.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { insertInboxRow, type NewInboxRow } from '../db/queries/ipn-inbox.js';
import type { IpnInboxRow } from '../db/schema/index.js';
import type { IpnDispatcher } from './dispatcher.js';
import { KNOWN_OBJECT_TYPES, parseSnsDelivery, type ParsedDelivery } from './parse.js';
import { createSignatureVerifier, type SignatureVerification } from './signature.js';

export interface IpnServerOptions {
  host: string;
  port: number;
  path: string;
  maxBodyBytes: number;
  db: Database;
  dispatcher: Pick<IpnDispatcher, 'dispatch'>;
  signature: SignatureVerification;
  logger: Logger;
  onReceived?: (result: 'stored' | 'duplicate' | 'confirmation' | 'rejected' | 'unavailable') => void;
}

export interface IpnServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting; requests already being read are stored and answered, then it resolves. */
  close(): Promise<void>;
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export async function startIpnServer(options: IpnServerOptions): Promise<IpnServer> {
  const verifier = createSignatureVerifier(options.signature);
  let closing = false;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = headerValue(req, 'x-amz-sns-message-id') ?? randomUUID();
    const log = options.logger.child({ requestId });
    if (closing) res.setHeader('connection', 'close');
    handle(req, log)
      .then(({ status, body, row }) => {
        send(res, status, body);
        if (row?.status === 'pending') void options.dispatcher.dispatch(row);
      })
      .catch((error: unknown) => {
        if (error instanceof HttpRefusal) {
          options.onReceived?.(error.status === 503 ? 'unavailable' : 'rejected');
          log.info({ status: error.status, reason: error.reason }, 'ipn refused');
          if (error.status === 405) res.setHeader('allow', 'POST');
          // The rest of an oversized body is not read: close the connection after answering.
          if (error.status === 413) res.setHeader('connection', 'close');
          send(res, error.status, { error: error.reason });
          return;
        }
        log.error({ err: error instanceof Error ? error.message : String(error) }, 'ipn endpoint failed');
        options.onReceived?.('unavailable');
        send(res, 500, { error: 'internal error; delivery will be retried' });
      });
  };

  async function handle(req: IncomingMessage, log: Logger): Promise<{ status: number; body: unknown; row?: IpnInboxRow }> {
    const url = new URL(req.url ?? '/', 'http://ipn.invalid');
    if (url.pathname !== options.path) throw new HttpRefusal(404, `no endpoint at ${url.pathname.slice(0, 100)}; IPNs go to ${options.path}`);
    if (req.method !== 'POST') throw new HttpRefusal(405, `method ${req.method} not allowed; IPNs are POSTed`);
    const type = (req.headers['content-type'] ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
    if (type !== 'text/plain' && type !== 'application/json') throw new HttpRefusal(415, `content-type ${type.slice(0, 60)} not accepted; SNS sends text/plain`);
    const body = await readBody(req, options.maxBodyBytes);
    const parsed = parseSnsDelivery(body);
    if (!parsed.ok) throw new HttpRefusal(400, parsed.reason);
    const problem = await verifier.check(parsed.delivery.envelope);
    if (problem) throw new HttpRefusal(403, `signature check failed: ${problem}`);

    let stored: { row: IpnInboxRow; duplicate: boolean };
    try {
      stored = await insertInboxRow(options.db, inboxRowOf(parsed.delivery, body));
    } catch (error) {
      log.error({ err: (error as Error).message }, 'ipn could not be stored');
      throw new HttpRefusal(503, 'the inbox is unavailable; deliver again later');
    }
    const { row, duplicate } = stored;
    if (parsed.delivery.kind === 'confirmation') {
      // Amazon Pay is not known to send these; if it ever does, an operator decides whether to visit SubscribeURL.
      log.warn({ topicArn: parsed.delivery.topicArn, subscribeUrl: parsed.delivery.subscribeUrl, inboxId: row.id.toString() }, 'SNS subscription confirmation received: stored, not confirmed automatically');
      options.onReceived?.('confirmation');
      return { status: 200, body: { stored: true, duplicate } };
    }
    options.onReceived?.(duplicate ? 'duplicate' : 'stored');
    log.info({ inboxId: row.id.toString(), objectType: row.objectType, objectId: row.objectId, chargePermissionId: row.chargePermissionId, duplicate }, 'ipn stored');
    return { status: 200, body: { stored: true, duplicate }, row };
  }

  const server: Server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, handler);
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host}:${port}${options.path}`,
    port,
    close() {
      closing = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

function inboxRowOf(delivery: ParsedDelivery, rawBody: string): NewInboxRow {
  if (delivery.kind === 'confirmation') {
    return { messageId: delivery.envelope.MessageId, notificationId: null, snsType: delivery.envelope.Type, objectType: null, objectId: null, chargePermissionId: null, rawBody, status: 'ignored' };
  }
  const known = (KNOWN_OBJECT_TYPES as readonly string[]).includes(delivery.objectType);
  return {
    messageId: delivery.envelope.MessageId,
    notificationId: delivery.notificationId,
    snsType: 'Notification',
    objectType: delivery.objectType,
    objectId: delivery.objectId,
    chargePermissionId: delivery.chargePermissionId,
    rawBody,
    // CHARGEBACK and unknown types are kept for the record; nothing in billing reacts to them.
    status: known ? 'pending' : 'ignored',
  };
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new HttpRefusal(413, `body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpRefusal(413, `body exceeds the ${maxBytes}-byte limit`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) throw new HttpRefusal(400, 'empty body (expected an SNS notification envelope)');
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.includes('\uFFFD')) throw new HttpRefusal(400, 'body is not valid UTF-8');
  return text;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text && /^[\x21-\x7e]{1,200}$/.test(text) ? text : undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
