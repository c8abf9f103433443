// Independent verifier of request signatures as Amazon Pay API v2 request signing documents them. It
// rebuilds the canonical request from what arrived on the wire and the request's own SignedHeaders list.
import { createHash, createPublicKey, verify, constants as cryptoConstants, type KeyObject } from 'node:crypto';
import { AmazonPayError } from './errors.js';
import { parseAmzPayDate } from './timestamps.js';

export const SIGNATURE_ALGORITHMS: Readonly<Record<string, number>> = {
  'AMZN-PAY-RSASSA-PSS': 20,
  'AMZN-PAY-RSASSA-PSS-V2': 32,
};

export interface ParsedAuthorization {
  algorithm: string;
  publicKeyId: string;
  signedHeaders: string;
  signature: string;
}

/** Parses "ALG PublicKeyId=…, SignedHeaders=a;b, Signature=…"; undefined when malformed. */
export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const match = /^(\S+)\s+(.*)$/s.exec(header.trim());
  if (!match) return undefined;
  const algorithm = match[1] ?? '';
  const fields = new Map<string, string>();
  for (const part of (match[2] ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const publicKeyId = fields.get('PublicKeyId');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!publicKeyId || !signedHeaders || !signature) return undefined;
  return { algorithm, publicKeyId, signedHeaders, signature };
}

/** The query string as the SDKs canonicalise it: names sorted, values encodeURIComponent-encoded. */
export function canonicalQueryString(rawQuery: string): string {
  if (rawQuery === '') return '';
  const params = new URLSearchParams(rawQuery);
  const names = [...new Set([...params.keys()])].sort();
  return names.map((name) => `${name}=${encodeURIComponent(params.get(name) ?? '')}`).join('&');
}

export interface IncomingSignedRequest {
  method: string;
  path: string;
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function headerValue(headers: IncomingSignedRequest['headers'], name: string): string | undefined {
  // Node already lowercases incoming header names; the lookup stays case-insensitive anyway.
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === lower) return Array.isArray(value) ? value.join(',') : value;
  }
  return undefined;
}

export function buildCanonicalRequest(request: IncomingSignedRequest, signedHeaders: string): string {
  const names = signedHeaders.split(';');
  const headerLines = names.map((name) => `${name.toLowerCase()}:${headerValue(request.headers, name) ?? ''}\n`).join('');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  return [request.method, request.path, canonicalQueryString(request.rawQuery), headerLines, signedHeaders, payloadHash].join('\n');
}

export interface VerifyOptions {
  lookupPublicKey: (publicKeyId: string) => KeyObject | undefined;
  now: Date;
  /** How far x-amz-pay-date may lie behind `now` (an assumption, default 15 minutes: no documented limit). */
  maxClockSkewMs: number;
  /** How far it may lie ahead of `now`; Amazon refuses dates in its future (issue 13). */
  maxFutureSkewMs: number;
}

/**
 * Verifies a request; throws AmazonPayError with the simulator's documented codes:
 * missing authorization → MissingHeader, bad date/skew → InvalidHeaderValue (a date ahead of the
 * clock by more than maxFutureSkewMs: Amazon's "x-amz-pay-date should not be in future"),
 * unknown key or bad signature → InvalidRequestSignature.
 */
export function verifyRequestSignature(request: IncomingSignedRequest, options: VerifyOptions): ParsedAuthorization {
  const authorization = headerValue(request.headers, 'authorization');
  if (authorization === undefined) throw new AmazonPayError('MissingHeader', 'The authorization header is missing.');
  if (authorization.trim() === '') throw new AmazonPayError('MissingHeaderValue', 'The authorization header is empty.');
  const parsed = parseAuthorization(authorization);
  if (!parsed) {
    throw new AmazonPayError(
      'InvalidHeaderValue',
      'The authorization header is malformed; expected "<algorithm> PublicKeyId=<id>, SignedHeaders=<h1;h2>, Signature=<base64>".',
    );
  }
  const saltLength = SIGNATURE_ALGORITHMS[parsed.algorithm];
  if (saltLength === undefined) {
    throw new AmazonPayError(
      'InvalidHeaderValue',
      `Unsupported signature algorithm "${parsed.algorithm}"; accepted: ${Object.keys(SIGNATURE_ALGORITHMS).join(', ')}.`,
    );
  }
  const dateHeader = headerValue(request.headers, 'x-amz-pay-date');
  if (dateHeader === undefined) throw new AmazonPayError('MissingHeader', 'The x-amz-pay-date header is missing.');
  const date = parseAmzPayDate(dateHeader);
  if (!date) {
    throw new AmazonPayError('InvalidHeaderValue', 'x-amz-pay-date is not a valid date; accepted: yyyyMMddTHHmmssZ or yyyy-MM-ddTHH:mm:ssZ.');
  }
  const aheadMs = date.getTime() - options.now.getTime();
  if (aheadMs > options.maxFutureSkewMs) throw new AmazonPayError('InvalidHeaderValue', 'x-amz-pay-date should not be in future');
  if (-aheadMs > options.maxClockSkewMs) {
    throw new AmazonPayError(
      'InvalidHeaderValue',
      `x-amz-pay-date is more than ${Math.round(options.maxClockSkewMs / 60000)} minutes in the past of the server time.`,
    );
  }
  if (!parsed.signedHeaders.split(';').some((name) => name.toLowerCase() === 'x-amz-pay-date')) {
    throw new AmazonPayError('InvalidRequestSignature', 'x-amz-pay-date must be among the signed headers.');
  }
  const key = options.lookupPublicKey(parsed.publicKeyId);
  if (!key) throw new AmazonPayError('InvalidRequestSignature', `Unknown PublicKeyId "${parsed.publicKeyId}".`);
  const canonical = buildCanonicalRequest(request, parsed.signedHeaders);
  const stringToSign = `${parsed.algorithm}\n${createHash('sha256').update(canonical).digest('hex')}`;
  let valid = false;
  try {
    valid = verify(
      'sha256',
      Buffer.from(stringToSign),
      { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength },
      Buffer.from(parsed.signature, 'base64'),
    );
  } catch {
    valid = false;
  }
  if (!valid) throw new AmazonPayError('InvalidRequestSignature');
  return parsed;
}

/** Accepts a PEM public key (SPKI or PKCS#1) or a PEM private key (its public half is used). */
export function toPublicKey(pem: string): KeyObject {
  return createPublicKey(pem);
}
