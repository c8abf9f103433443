import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.js';
import { describeUrlScheme, maskUrlPassword } from '../../../config/redact-url.js';

describe('connection URLs shown to people', () => {
  it.each([
    ['postgres://billing:billing-dev@127.0.0.1:54329/billing', 'postgres://billing:***@127.0.0.1:54329/billing'],
    ['postgres://billing:p:ss@127.0.0.1:54329/billing', 'postgres://billing:***@127.0.0.1:54329/billing'],
    ['postgres://billing:p@ss@db.internal/billing', 'postgres://billing:***@db.internal/billing'],
    ['postgresql://u:p%40ss%3Aw0rd@db:5432/b?sslmode=require', 'postgresql://u:***@db:5432/b?sslmode=require'],
    ['postgres://u@db/b?password=s3cret&sslpassword=k3y', 'postgres://u@db/b?password=***&sslpassword=***'],
    ['postgres://db.internal/billing', 'postgres://db.internal/billing'],
    // Not a URL the parser accepts (an unencoded '/' in the password): masked up to the last '@'.
    ['postgres://u:pa/ss@db/b', 'postgres://u:***@db/b'],
    ['u:secret@db', '***'],
    ['ftp://127.0.0.1:21', 'ftp://127.0.0.1:21'],
    ['not a url', 'not a url'],
  ])('%s → %s', (url, shown) => {
    expect(maskUrlPassword(url)).toBe(shown);
  });

  it('never shows any part of a password', () => {
    for (const password of ['Sx:Qz', 'Sx@Qz', 'Sx:Qz@Wy:Kv', 'Sx%40Qz', 'Sx/Qz#Wy?Kv']) {
      const shown = maskUrlPassword(`postgres://billing:${password}@127.0.0.1:5432/billing`);
      for (const piece of ['Sx', 'Qz', 'Wy', 'Kv']) expect(shown).not.toContain(piece);
    }
  });

  it('a DATABASE_URL that is not postgres:// is described by its scheme only', () => {
    expect(describeUrlScheme('mysql://root:hunter2@db/x')).toBe('a "mysql" URL');
    expect(describeUrlScheme('hunter2')).toBe('a value that is not a URL');
    expect(() => loadConfig({ DATABASE_URL: 'mysql://r:hunter2@db/x' }, process.cwd())).toThrow(
      /DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL, found a "mysql" URL/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://r:hunter2@db/x' }, process.cwd())).not.toThrow(/hunter/);
  });
});
