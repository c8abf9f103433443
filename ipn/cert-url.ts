// The shape of an SNS SigningCertURL, checked on the raw text before anything is fetched.
// AWS: "verify that SigningCertURL is from Amazon SNS" over HTTPS
// (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html); AWS's own
// validators accept hosts sns.<region>.amazonaws.com and sns.<region>.amazonaws.com.cn.
// The text itself is matched, not a parsed URL: a parser forgives `:443`, `user@`, `%2e`, `\`
// and case, each a way to make one certificate look like many (one fetch and one cache entry each).

const SNS_CERT_URL = /^https:\/\/sns\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?\/[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*\.pem$/;
const MAX_LENGTH = 256;

/**
 * null when `url` is https://sns.<region>.amazonaws.com(.cn)/<name>.pem exactly: no query,
 * fragment, user info, port, percent-escapes, dot segments or upper-case host; otherwise why not.
 */
export function snsCertUrlProblem(url: string | undefined): string | null {
  if (!url) return 'SigningCertURL is missing';
  if (url.length > MAX_LENGTH || !SNS_CERT_URL.test(url)) {
    return 'SigningCertURL is not https://sns.<region>.amazonaws.com/<name>.pem (no query, fragment, port or user info)';
  }
  return null;
}

export function isAmazonSnsCertUrl(url: string): boolean {
  return snsCertUrlProblem(url) === null;
}
