// docs/operations.md said the dashboard sends "default-src 'self'" while it sent a longer policy
// (inline styles allowed, no framing). The document quotes the header the routes send.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from '../../../api/routes/dashboard.js';

const OPERATIONS = readFileSync(resolve(import.meta.dirname, '../../../docs/operations.md'), 'utf8');

describe('docs/operations.md: the dashboard', () => {
  it('quotes the Content-Security-Policy the dashboard is sent with, whole', () => {
    expect(OPERATIONS.replace(/\s*\n\s*/g, ' ')).toContain(`\`Content-Security-Policy: ${DASHBOARD_CONTENT_SECURITY_POLICY}\``);
  });
});
