// A server-side check of our Authorization header, written from Amazon Pay API v2 request signing:
// parse the header, rebuild the canonical request from the SignedHeaders list exactly as sent,
// verify RSASSA-PSS.
import { constants, createHash, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface VerifiedSignature {
  algorithm: string;
  publicKeyId: string;
  signedHeaders: string[];
  valid: boolean;
}

const SALT: Record<string, number> = { 'AMZN-PAY-RSASSA-PSS-V2': 32, 'AMZN-PAY-RSASSA-PSS': 20 };

export function verifyAuthorization(request: ReceivedRequest, publicKey: KeyObject): VerifiedSignature {
  const header = request.headers.authorization;
  if (typeof header !== 'string') throw new Error('no authorization header');
  const match = /^(\S+) PublicKeyId=([^,]+), SignedHeaders=([^,]+), Signature=(\S+)$/.exec(header);
  if (match === null) throw new Error(`malformed authorization header: ${header}`);
  const [, algorithm = '', publicKeyId = '', signedHeaderList = '', signature = ''] = match;
  const names = signedHeaderList.split(';');
  const headerLines = names.map((name) => `${name}:${String(request.headers[name])}\n`).join('');
  const hash = (text: string): string => createHash('sha256').update(text).digest('hex');
  const [pathOnly = '', query = ''] = request.path.split('?');
  const canonical = [request.method, pathOnly, query, headerLines, signedHeaderList, hash(request.body)].join('\n');
  const stringToSign = `${algorithm}\n${hash(canonical)}`;
  const saltLength = SALT[algorithm];
  if (saltLength === undefined) throw new Error(`unknown algorithm ${algorithm}`);
  const valid = verify(
    'sha256',
    Buffer.from(stringToSign),
    { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
    Buffer.from(signature, 'base64'),
  );
  return { algorithm, publicKeyId, signedHeaders: names, valid };
}
