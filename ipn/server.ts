// The IPN endpoint: Amazon's SNS deliveries are parsed, verified, written to the inbox and
// acknowledged 200 only once the insert has committed; anything that cannot be stored gets a
// non-2xx so SNS delivers it again. Bad input gets a 4xx with a reason, never a stack trace.
// Cheap checks come first (path, method, size, the envelope's shape, topic, Timestamp), then the
// inner Message and the certificate URL; only then may a signing certificate be fetched. Every
// refusal is a warning carrying the envelope's MessageId when the body has one. Slow or idle clients are cut off at the configured
// timeouts (billing.yaml ipn.*), and open connections are capped.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { DEFAULT_IPN_SETTINGS, type IpnSettings } from '../config/billing.js';
import { createBoundedServer } from '../daemon/bounded-http-server.js';
import type { Database } from '../db/client.js';
import { insertInboxRow, type NewInboxRow } from '../db/queries/ipn-inbox.js';
import type { IpnInboxRow } from '../db/schema/index.js';
import type { IpnDispatcher } from './dispatcher.js';
import { parseSnsEnvelope, parseSnsMessage, type ParsedDelivery } from './parse.js';
import { createSignatureVerifier, type SignatureVerification, type SignatureVerifier } from './signature.js';
import { timestampProblem } from './timestamp.js';
import { createTopicPolicy } from './topics.js';
import { isIpnObjectType } from '../billing/vocabulary.js';

/** billing.yaml `ipn`; host, port, path and maxBodyBytes are required, the rest default as in config/billing.ts. */
export interface IpnServerOptions
  extends Pick<IpnSettings, 'host' | 'port' | 'path' | 'maxBodyBytes'>, Partial<Omit<IpnSettings, 'host' | 'port' | 'path' | 'maxBodyBytes'>> {
  db: Database;
  dispatcher: Pick<IpnDispatcher, 'dispatch'>;
  signature: SignatureVerification;
  logger: Logger;
  /** The clock for Timestamp windows and certificate validity. Default: real time. */
  now?: () => Date;
  onReceived?: (result: 'stored' | 'duplicate' | 'confirmation' | 'rejected' | 'unavailable') => void;
}

export interface IpnServer {
  readonly url: string;
  readonly port: number;
  /** The signature verifier in use (its certificate cache, in 'sns' mode). */
  readonly verifier: SignatureVerifier;
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

/** Distinct unlisted topics reported in the log while ipn.allowedTopicArns is empty. */
const OPEN_TOPICS_REPORTED = 20;

export async function startIpnServer(options: IpnServerOptions): Promise<IpnServer> {
  const settings: IpnSettings = { ...DEFAULT_IPN_SETTINGS, ...options };
  const now = options.now ?? (() => new Date());
  const verifier = createSignatureVerifier(options.signature, now);
  const topics = createTopicPolicy(settings.allowedTopicArns);
  const reportedTopics = new Set<string>();
  if (topics.open && options.signature.mode === 'sns') {
    options.logger.warn(
      'ipn.allowedTopicArns is empty: notifications from ANY SNS topic with a valid signature are accepted, and any AWS account can publish one. List your Amazon Pay topic ARNs in billing.yaml (see README, "IPNs and the daemon")',
    );
  }
  let closing = false;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = headerValue(req, 'x-amz-sns-message-id') ?? randomUUID();
    const log = options.logger.child({ requestId });
    const seen: { messageId?: string } = {};
    if (closing) res.setHeader('connection', 'close');
    handle(req, log, seen)
      .then(({ status, body, row }) => {
        send(res, status, body);
        if (row?.status === 'pending') void options.dispatcher.dispatch(row);
      })
      .catch((error: unknown) => {
        if (error instanceof HttpRefusal) {
          options.onReceived?.(error.status === 503 ? 'unavailable' : 'rejected');
          log.warn(
            { status: error.status, reason: error.reason, messageId: seen.messageId ?? headerValue(req, 'x-amz-sns-message-id') ?? null },
            'ipn refused',
          );
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

  async function handle(req: IncomingMessage, log: Logger, seen: { messageId?: string }): Promise<{ status: number; body: unknown; row?: IpnInboxRow }> {
    const url = new URL(req.url ?? '/', 'http://ipn.invalid');
    if (url.pathname !== options.path) throw new HttpRefusal(404, `no endpoint at ${url.pathname.slice(0, 100)}; IPNs go to ${options.path}`);
    if (req.method !== 'POST') throw new HttpRefusal(405, `method ${req.method} not allowed; IPNs are POSTed`);
    const type = (req.headers['content-type'] ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
    if (type !== 'text/plain' && type !== 'application/json')
      throw new HttpRefusal(415, `content-type ${type.slice(0, 60)} not accepted; SNS sends text/plain`);
    const body = await readBody(req, options.maxBodyBytes);
    // The envelope first (shape, Type, topic, Timestamp); its inner Message only once those pass.
    const outer = parseSnsEnvelope(body);
    if (!outer.ok) {
      if (outer.messageId) seen.messageId = outer.messageId;
      throw new HttpRefusal(400, outer.reason);
    }
    const envelope = outer.envelope;
    seen.messageId = envelope.MessageId;
    if (!topics.allows(envelope.TopicArn))
      throw new HttpRefusal(403, `TopicArn ${JSON.stringify(envelope.TopicArn.slice(0, 200))} is not in ipn.allowedTopicArns`);
    const late = timestampProblem(envelope.Timestamp, now(), { maxAgeMs: settings.maxMessageAge, maxSkewMs: settings.maxClockSkew });
    if (late) throw new HttpRefusal(400, late);
    const parsed = parseSnsMessage(outer);
    if (!parsed.ok) throw new HttpRefusal(400, parsed.reason);
    const problem = await verifier.check(envelope);
    if (problem) throw new HttpRefusal(problem.status, `signature check failed: ${problem.reason}`);
    if (topics.open && !reportedTopics.has(envelope.TopicArn) && reportedTopics.size < OPEN_TOPICS_REPORTED) {
      reportedTopics.add(envelope.TopicArn);
      log.warn(
        { topicArn: envelope.TopicArn, messageId: envelope.MessageId },
        "ipn accepted from a topic not in ipn.allowedTopicArns (the list is empty); add it there once you know it is Amazon Pay's",
      );
    }

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
      log.warn(
        { topicArn: parsed.delivery.topicArn, subscribeUrl: parsed.delivery.subscribeUrl, inboxId: row.id.toString() },
        'SNS subscription confirmation received: stored, not confirmed automatically',
      );
      options.onReceived?.('confirmation');
      return { status: 200, body: { stored: true, duplicate } };
    }
    options.onReceived?.(duplicate ? 'duplicate' : 'stored');
    log.info(
      { inboxId: row.id.toString(), objectType: row.objectType, objectId: row.objectId, chargePermissionId: row.chargePermissionId, duplicate },
      'ipn stored',
    );
    return { status: 200, body: { stored: true, duplicate }, row };
  }

  const server = createBoundedServer(settings, handler, options.logger, 'ipn');
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
    verifier,
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
    return {
      messageId: delivery.envelope.MessageId,
      notificationId: null,
      snsType: delivery.envelope.Type,
      objectType: null,
      objectId: null,
      chargePermissionId: null,
      rawBody,
      status: 'ignored',
    };
  }
  const known = isIpnObjectType(delivery.objectType);
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
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw new HttpRefusal(413, `body exceeds the ${maxBytes}-byte limit`);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof HttpRefusal) throw error;
    // requestTimeout cut a slow body (the client got 408), or the client went away.
    throw new HttpRefusal(408, 'the body did not arrive within ipn.requestTimeout, or the client closed the connection');
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
