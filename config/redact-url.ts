// Connection URLs are shown to people (the dev stack's banner, the CLI, benchmark output, config
// errors); their passwords never are. The URL is parsed, not pattern-matched, so a password with
// ':', '@' or percent-encoded characters is masked whole.

const MASK = '***';
/** Query parameters that carry a password in libpq-style URLs (`?password=…`, `?sslpassword=…`). */
const SECRET_PARAMS = ['password', 'sslpassword'];
const SCHEME = /^([a-z][a-z0-9+.-]*:\/\/)/i;

/**
 * `postgres://billing:p:ss@host:5432/db` → `postgres://billing:***@host:5432/db`. The user name,
 * host, path and other parameters stay visible. A URL the WHATWG parser refuses (an unencoded '/'
 * or '#' in the password) is masked from the scheme to its last '@'; a value without "scheme://"
 * is hidden whole when it has an '@'. A URL with nothing to hide is returned as typed.
 */
export function maskUrlPassword(url: string): string {
  let parsed: URL;
  // Without "scheme://" there is no authority to find a password in: nothing of it is shown,
  // unless it has no '@' at all (then it holds no credentials and is shown as typed).
  if (!SCHEME.test(url)) return url.includes('@') ? MASK : url;
  try {
    parsed = new URL(url);
  } catch {
    return maskUnparsed(url);
  }
  const secretParams = SECRET_PARAMS.filter((name) => parsed.searchParams.has(name));
  // Nothing to hide: shown exactly as typed (the parser would add a trailing '/' to a bare host).
  if (parsed.password === '' && secretParams.length === 0) return url;
  if (parsed.password !== '') parsed.password = MASK;
  for (const name of secretParams) parsed.searchParams.set(name, MASK);
  return parsed.toString();
}

function maskUnparsed(url: string): string {
  const scheme = SCHEME.exec(url)?.[1] ?? '';
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return `${scheme}${MASK}`;
  const user = rest.slice(0, at).split(':')[0] ?? '';
  return `${scheme}${user}:${MASK}@${rest.slice(at + 1)}`;
}

/** What an error may say about a value that should have been a URL: its scheme, never the rest. */
export function describeUrlScheme(value: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1];
  return scheme === undefined ? 'a value that is not a URL' : `a ${JSON.stringify(scheme)} URL`;
}
