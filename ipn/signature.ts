// SNS message signatures (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA) over the
// documented string-to-sign. Three modes, chosen by whoever starts the daemon:
// - 'sns': production. SigningCertURL must be exactly https://sns.<region>.amazonaws.com(.cn)/<name>.pem
//   (checked before any fetch); the X.509 certificate there must be issued to sns.amazonaws.com and
//   valid now (ipn/certificates.ts). `fetchCertificate` replaces only the network transport (tests
//   serve their own certificate through it); every other check stays.
// - 'trusted-key': the simulator. The signature is checked against one configured PEM (the
//   simulator's signing key); SigningCertURL is never fetched. Only `npm run dev` and tests use it.
// - 'off': no check (only for local experiments). The body is only a hint: the reaction fetches
//   the real state from Amazon Pay and a forged IPN cannot cancel anything.
import { verify, type KeyObject } from 'node:crypto';
import { snsCertUrlProblem } from './cert-url.js';
import { CertificateRefused, CertificateUnavailable, createCertificateStore, type CertificateStore } from './certificates.js';
import type { SignedEnvelope } from './parse.js';

export type SignatureVerification =
  | { mode: 'off' }
  | { mode: 'trusted-key'; publicKeyPem: string }
  | { mode: 'sns'; fetchCertificate?: (url: string) => Promise<string>; maxCachedCertificates?: number; maxConcurrentFetches?: number };

export { isAmazonSnsCertUrl } from './cert-url.js';

/** The SNS string to sign: `key\nvalue\n` for the fields present, in the documented order. */
export function snsStringToSign(e: SignedEnvelope): string {
  const keys: Array<keyof SignedEnvelope> =
    e.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return keys
    .filter((k) => e[k] !== undefined)
    .map((k) => `${k}\n${e[k]}\n`)
    .join('');
}

/** Why an envelope is not accepted: 403 (not from SNS) or 503 (could not check now; SNS delivers again). */
export interface SignatureProblem {
  status: 403 | 503;
  reason: string;
}

export interface SignatureVerifier {
  /** null when the envelope verifies. Cheap checks (version, signature, URL shape) run before any fetch. */
  check(envelope: SignedEnvelope): Promise<SignatureProblem | null>;
  /** The certificate cache ('sns' mode), for tests and metrics. */
  readonly certificates?: CertificateStore;
}

export function createSignatureVerifier(config: SignatureVerification, now: () => Date = () => new Date()): SignatureVerifier {
  const certificates =
    config.mode === 'sns'
      ? createCertificateStore({
          now,
          ...(config.fetchCertificate ? { fetchPem: config.fetchCertificate } : {}),
          ...(config.maxCachedCertificates ? { maxEntries: config.maxCachedCertificates } : {}),
          ...(config.maxConcurrentFetches ? { maxConcurrentFetches: config.maxConcurrentFetches } : {}),
        })
      : undefined;
  const refuse = (reason: string): SignatureProblem => ({ status: 403, reason });
  return {
    ...(certificates ? { certificates } : {}),
    async check(envelope) {
      if (config.mode === 'off') return null;
      const algorithm = envelope.SignatureVersion === '1' ? 'sha1' : envelope.SignatureVersion === '2' ? 'sha256' : null;
      if (!algorithm) return refuse('SignatureVersion must be "1" or "2"');
      if (!envelope.Signature || !/^[A-Za-z0-9+/]+={0,2}$/.test(envelope.Signature)) return refuse('Signature is missing or not base64');
      let key: KeyObject | string;
      if (config.mode === 'trusted-key') {
        key = config.publicKeyPem;
      } else {
        const urlProblem = snsCertUrlProblem(envelope.SigningCertURL);
        if (urlProblem) return refuse(urlProblem);
        try {
          key = await certificates!.publicKey(envelope.SigningCertURL!);
        } catch (error) {
          if (error instanceof CertificateRefused) return refuse(error.message);
          if (error instanceof CertificateUnavailable) return { status: 503, reason: error.message };
          throw error;
        }
      }
      try {
        const ok = verify(algorithm, Buffer.from(snsStringToSign(envelope), 'utf8'), key, Buffer.from(envelope.Signature, 'base64'));
        return ok ? null : refuse('the signature does not verify');
      } catch {
        return refuse('the signature does not verify');
      }
    },
  };
}
