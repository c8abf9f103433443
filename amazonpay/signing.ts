// Request signing as Amazon Pay API v2 request signing documents it. Pure: no clock, no I/O.
// The date and the private key are inputs so tests and the conformance suite can pin them.
import { createHash, constants as cryptoConstants, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export type SigningAlgorithm = 'AMZN-PAY-RSASSA-PSS-V2' | 'AMZN-PAY-RSASSA-PSS';

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['AMZN-PAY-RSASSA-PSS-V2', 'AMZN-PAY-RSASSA-PSS'];

/** RSASSA-PSS salt length in bytes per algorithm name (Amazon Pay API v2 request signing). */
export const PSS_SALT_LENGTH: Readonly<Record<SigningAlgorithm, number>> = Object.freeze({
  'AMZN-PAY-RSASSA-PSS-V2': 32,
  'AMZN-PAY-RSASSA-PSS': 20,
});

export interface RequestToSign {
  method: string;
  /** Path as the server sees it, including `/sandbox` or `/live` when present, e.g. `/v2/charges`. */
  path: string;
  query?: Readonly<Record<string, string>>;
  /** Headers to sign; names are lowercased and sorted here. Values are used verbatim. */
  headers: Readonly<Record<string, string>>;
  /** Exact bytes that go on the wire; "" when there is no body. */
  body: string;
}

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');

/** Query string as the Node SDK builds it: keys sorted, values encodeURIComponent'd. */
export function canonicalQueryString(query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined) return '';
  return Object.keys(query)
    .sort()
    .map((name) => `${name}=${encodeURIComponent(query[name] ?? '')}`)
    .join('&');
}

/** Lowercased, sorted header names joined by ";" — the SignedHeaders value. */
export function signedHeaderNames(headers: Readonly<Record<string, string>>): string {
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort()
    .join(';');
}

/** The canonical request of Amazon Pay API v2 request signing (a blank line follows the last header line). */
export function buildCanonicalRequest(request: RequestToSign): string {
  const lowered = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    const key = name.toLowerCase();
    if (lowered.has(key)) throw new Error(`header "${key}" given twice with different letter case`);
    lowered.set(key, value);
  }
  const names = [...lowered.keys()].sort();
  const headerLines = names.map((name) => `${name}:${lowered.get(name) ?? ''}\n`).join('');
  return [request.method.toUpperCase(), request.path, canonicalQueryString(request.query), headerLines, names.join(';'), sha256Hex(request.body)].join('\n');
}

/** StringToSign = algorithm name + "\n" + hex(SHA-256(canonical request)). */
export function buildStringToSign(algorithm: SigningAlgorithm, canonicalRequest: string): string {
  return `${algorithm}\n${sha256Hex(canonicalRequest)}`;
}

/** Base64 RSASSA-PSS (SHA-256, MGF1-SHA-256) signature with the algorithm's salt length. */
export function signStringToSign(privateKey: KeyObject, algorithm: SigningAlgorithm, stringToSign: string): string {
  return cryptoSign('sha256', Buffer.from(stringToSign, 'utf8'), {
    key: privateKey,
    padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
    saltLength: PSS_SALT_LENGTH[algorithm],
  }).toString('base64');
}

export function buildAuthorizationHeader(parts: { algorithm: SigningAlgorithm; publicKeyId: string; signedHeaders: string; signature: string }): string {
  return `${parts.algorithm} PublicKeyId=${parts.publicKeyId}, SignedHeaders=${parts.signedHeaders}, Signature=${parts.signature}`;
}

/** Compact `x-amz-pay-date`, `yyyyMMddTHHmmssZ` in UTC, as the PHP/Java/.NET SDKs send it. */
export function formatPayDate(instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new RangeError('formatPayDate: invalid Date');
  return instant
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

export interface SignedRequest {
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  authorization: string;
}

/**
 * Signs every header in `request.headers` (the caller decides which headers are signed by
 * what it passes) and returns the `authorization` header value plus the intermediate strings,
 * which the tests compare with the official SDK and the simulator log on mismatch.
 */
export function signRequest(request: RequestToSign, credentials: { publicKeyId: string; privateKey: KeyObject; algorithm: SigningAlgorithm }): SignedRequest {
  const canonicalRequest = buildCanonicalRequest(request);
  const stringToSign = buildStringToSign(credentials.algorithm, canonicalRequest);
  const signature = signStringToSign(credentials.privateKey, credentials.algorithm, stringToSign);
  const signedHeaders = signedHeaderNames(request.headers);
  return {
    canonicalRequest,
    stringToSign,
    signedHeaders,
    authorization: buildAuthorizationHeader({
      algorithm: credentials.algorithm,
      publicKeyId: credentials.publicKeyId,
      signedHeaders,
      signature,
    }),
  };
}
