// SNS signing certificates: fetched at most once at a time per URL, kept in a small LRU cache, and
// accepted only as an X.509 certificate issued to sns.amazonaws.com that is valid now. A bare
// public key is refused: anyone can serve one.
import { X509Certificate, type KeyObject } from 'node:crypto';

/** Subject common name of the certificates SNS signs with (AWS docs, "Verifying the signatures of Amazon SNS messages"). */
export const SNS_CERT_SUBJECT_CN = 'sns.amazonaws.com';

export interface CertificateStoreOptions {
  /** Fetches the PEM text at an already shape-checked URL. Default: fetchCertificatePem. */
  fetchPem?: (url: string) => Promise<string>;
  now: () => Date;
  /** Certificates kept; the least recently used goes first. Default 32. */
  maxEntries?: number;
  /** Distinct URLs being fetched at once; more are refused (503) until one finishes. Default 4. */
  maxConcurrentFetches?: number;
}

export class CertificateUnavailable extends Error {}
export class CertificateRefused extends Error {}

export interface CertificateStore {
  /** The certificate's public key. Throws CertificateRefused (not an SNS certificate) or CertificateUnavailable (retry later). */
  publicKey(url: string): Promise<KeyObject>;
  /** Counters for tests and metrics. */
  stats(): { cached: number; inFlight: number; fetches: number };
}

export function createCertificateStore(options: CertificateStoreOptions): CertificateStore {
  const fetchPem = options.fetchPem ?? ((url: string) => fetchCertificatePem(url));
  const maxEntries = options.maxEntries ?? 32;
  const maxConcurrent = options.maxConcurrentFetches ?? 4;
  const cache = new Map<string, X509Certificate>(); // insertion order = recency
  const inFlight = new Map<string, Promise<X509Certificate>>();
  let fetches = 0;

  const load = async (url: string): Promise<X509Certificate> => {
    fetches += 1;
    let pem: string;
    try {
      pem = await fetchPem(url);
    } catch (error) {
      throw new CertificateUnavailable(`the signing certificate could not be fetched (${(error as Error).message})`);
    }
    const certificate = parseSnsCertificate(pem);
    cache.set(url, certificate);
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    return certificate;
  };

  return {
    async publicKey(url) {
      let certificate = cache.get(url);
      if (certificate) {
        cache.delete(url);
        cache.set(url, certificate);
      } else {
        let pending = inFlight.get(url);
        if (!pending) {
          if (inFlight.size >= maxConcurrent) throw new CertificateUnavailable('too many signing certificates are being fetched; deliver again later');
          pending = load(url).finally(() => inFlight.delete(url));
          inFlight.set(url, pending);
        }
        certificate = await pending;
      }
      const problem = validityProblem(certificate, options.now());
      if (problem) throw new CertificateRefused(problem);
      return certificate.publicKey;
    },
    stats: () => ({ cached: cache.size, inFlight: inFlight.size, fetches }),
  };
}

/** An X.509 certificate (PEM) whose subject CN is sns.amazonaws.com and whose key is RSA; otherwise CertificateRefused. */
export function parseSnsCertificate(pem: string): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new CertificateRefused('SigningCertURL did not serve an X.509 certificate');
  }
  const cn = certificate.subject
    .split('\n')
    .find((line) => line.startsWith('CN='))
    ?.slice(3);
  if (cn !== SNS_CERT_SUBJECT_CN)
    throw new CertificateRefused(`the signing certificate is issued to ${JSON.stringify(cn ?? certificate.subject.slice(0, 80))}, not ${SNS_CERT_SUBJECT_CN}`);
  if (certificate.publicKey.asymmetricKeyType !== 'rsa') throw new CertificateRefused('the signing certificate does not hold an RSA key');
  return certificate;
}

function validityProblem(certificate: X509Certificate, now: Date): string | null {
  const from = Date.parse(certificate.validFrom);
  const to = Date.parse(certificate.validTo);
  if (!(now.getTime() >= from)) return `the signing certificate is not valid before ${certificate.validFrom}`;
  if (!(now.getTime() <= to)) return `the signing certificate expired on ${certificate.validTo}`;
  return null;
}

export interface FetchLimits {
  /** Whole fetch, body included. Default 5 s. */
  timeoutMs?: number;
  /** Largest accepted response. Default 32 KiB (an SNS certificate PEM is about 2 KiB). */
  maxBytes?: number;
}

/** GETs a PEM over the network: no redirects, 200 only, at most `maxBytes`, within `timeoutMs`. */
export async function fetchCertificatePem(url: string, limits: FetchLimits = {}): Promise<string> {
  const maxBytes = limits.maxBytes ?? 32 * 1024;
  const signal = AbortSignal.timeout(limits.timeoutMs ?? 5_000);
  const response = await fetch(url, { signal, redirect: 'error' });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`answered ${declared} bytes, more than ${maxBytes}`);
  }
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let part = await reader?.read(); part && !part.done; part = await reader!.read()) {
    size += part.value.byteLength;
    if (size > maxBytes) {
      await reader!.cancel();
      throw new Error(`answered more than ${maxBytes} bytes`);
    }
    chunks.push(part.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
