// Test-only request signer written from Amazon Pay API v2 request signing, independent of amazonpay/.
import { createHash, generateKeyPairSync, sign, constants } from 'node:crypto';

export type Algorithm = 'AMZN-PAY-RSASSA-PSS' | 'AMZN-PAY-RSASSA-PSS-V2';

export function generateTestKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface SignInput {
  method: string;
  path: string;
  query?: string;
  body?: string;
  headers: Record<string, string>;
  publicKeyId: string;
  privateKeyPem: string;
  algorithm?: Algorithm;
  /** Headers sent but left out of SignedHeaders (e.g. a simulation code). */
  unsignedHeaders?: Record<string, string>;
}

/** Returns the full header set to send, including authorization. */
export function signRequest(input: SignInput): Record<string, string> {
  const algorithm = input.algorithm ?? 'AMZN-PAY-RSASSA-PSS';
  const saltLength = algorithm === 'AMZN-PAY-RSASSA-PSS-V2' ? 32 : 20;
  const names = Object.keys(input.headers).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  const signedHeaders = names.join(';');
  const canonical = [
    input.method,
    input.path,
    input.query ?? '',
    names.map((n) => `${n.toLowerCase()}:${input.headers[n]}\n`).join(''),
    signedHeaders,
    createHash('sha256')
      .update(input.body ?? '')
      .digest('hex'),
  ].join('\n');
  const stringToSign = `${algorithm}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = sign('sha256', Buffer.from(stringToSign), {
    key: input.privateKeyPem,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength,
  }).toString('base64');
  return {
    ...input.headers,
    ...input.unsignedHeaders,
    authorization: `${algorithm} PublicKeyId=${input.publicKeyId}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
