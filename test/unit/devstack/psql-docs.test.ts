// The dev stack's PostgreSQL password was printed as *** and documented nowhere. The README must
// say how to connect with psql, with the values the embedded cluster really has.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devDatabaseUrl } from '../../../client/connect.js';
import { EMBEDDED_POSTGRES_PASSWORD, psqlCommand } from '../../../devstack/embedded-postgres.js';

const README = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');

describe('README: connecting to the dev stack PostgreSQL', () => {
  it('shows the psql command npm run dev prints, password included', () => {
    expect(psqlCommand(54329)).toBe(`PGPASSWORD=${EMBEDDED_POSTGRES_PASSWORD} psql -h 127.0.0.1 -p 54329 -U billing billing`);
    expect(README).toContain(psqlCommand(54329));
    expect(README).toContain(`[dev]   psql                ${psqlCommand(54329)}`);
  });

  it('gives the connection URL the CLI uses by default', () => {
    expect(README).toContain(devDatabaseUrl({}));
  });
});
