// SNS message signatures (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA) over the
// documented string-to-sign. Three modes, chosen by whoever starts the daemon:
// - 'sns': production. SigningCertURL must be https://sns.<region>.amazonaws.com(.cn)/….pem;
//   the certificate is fetched (cached per URL) and the signature checked against it.
// - 'trusted-key': the simulator. The signature is checked against one configured PEM (the
//   simulator's signing key); SigningCertURL is never fetched.
// - 'off': no check (only for local experiments). Safe because the body is only a hint: the
//   reaction fetches the real state from Amazon Pay and a forged IPN cannot cancel anything.
import { verify } from 'node:crypto';
import type { SignedEnvelope } from './parse.js';

export type SignatureVerification =
  | { mode: 'off' }
  | { mode: 'trusted-key'; publicKeyPem: string }
  | { mode: 'sns'; fetchCertificate?: (url: string) => Promise<string> };

const SNS_CERT_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** The SNS string to sign: `key\nvalue\n` for the fields present, in the documented order. */
export function snsStringToSign(e: SignedEnvelope): string {
  const keys: Array<keyof SignedEnvelope> =
    e.Type === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return keys
    .filter((k) => e[k] !== undefined)
    .map((k) => `${k}\n${e[k]}\n`)
    .join('');
}

export function isAmazonSnsCertUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && SNS_CERT_HOST.test(parsed.hostname) && parsed.port === '' && parsed.pathname.endsWith('.pem');
}

export interface SignatureVerifier {
  /** null when the envelope verifies, otherwise why not. */
  check(envelope: SignedEnvelope): Promise<string | null>;
}

export function createSignatureVerifier(config: SignatureVerification): SignatureVerifier {
  const certificates = new Map<string, Promise<string>>();
  const fetchCertificate = config.mode === 'sns' ? (config.fetchCertificate ?? fetchPem) : undefined;
  return {
    async check(envelope) {
      if (config.mode === 'off') return null;
      const algorithm = envelope.SignatureVersion === '1' ? 'sha1' : envelope.SignatureVersion === '2' ? 'sha256' : null;
      if (!algorithm) return 'SignatureVersion must be "1" or "2"';
      if (!envelope.Signature) return 'Signature is missing';
      let key: string;
      if (config.mode === 'trusted-key') {
        key = config.publicKeyPem;
      } else {
        const url = envelope.SigningCertURL;
        if (!url || !isAmazonSnsCertUrl(url)) return 'SigningCertURL is not an https://sns.<region>.amazonaws.com/….pem URL';
        let pending = certificates.get(url);
        if (!pending) {
          pending = fetchCertificate!(url);
          certificates.set(url, pending);
          // A failed fetch is not cached: the next delivery tries again.
          pending.catch(() => certificates.delete(url));
        }
        try {
          key = await pending;
        } catch {
          return 'the signing certificate could not be fetched';
        }
      }
      try {
        const ok = verify(algorithm, Buffer.from(snsStringToSign(envelope), 'utf8'), key, Buffer.from(envelope.Signature, 'base64'));
        return ok ? null : 'the signature does not verify';
      } catch {
        return 'the signature does not verify';
      }
    },
  };
}

async function fetchPem(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
  if (!response.ok) throw new Error(`certificate fetch answered ${response.status}`);
  const text = await response.text();
  if (!text.includes('-----BEGIN')) throw new Error('certificate fetch returned no PEM');
  return text;
}
