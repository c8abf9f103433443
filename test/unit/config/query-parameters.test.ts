// No log line carries a failed SQL statement's values (config/query-parameters.ts, applied by
// createLogger with the task-token scrub): not in an error's message, stack or `params` field,
// not in a string field holding its message, not in the message text.
import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.js';
import { withoutQueryParameters } from '../../../config/query-parameters.js';

const SECRET = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LXZhbHVl';
const BUYER = 'buyer-7@example.com';

function failedInsert(): DrizzleQueryError {
  const cause = new postgres.PostgresError({ message: 'duplicate key value violates unique constraint "webhook_endpoints_pkey"', code: '23505' } as never);
  return new DrizzleQueryError(
    'insert into "webhook_endpoints" ("id", "url", "secret") values ($1, $2, $3)',
    ['we_1', `https://shop.example/${BUYER}`, SECRET],
    cause,
  );
}

function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('trace', 'billing', stream), text: () => chunks.join('') };
}

describe('a failed SQL statement in log lines', () => {
  it('keeps the statement and drops its values, as an error, as its message string and in the message text', () => {
    const error = failedInsert();
    expect(error.message).toContain(SECRET);
    const { logger, text } = capture();
    logger.error({ err: error }, 'api request failed');
    logger.warn({ err: error.message }, 'housekeeping job failed');
    logger.error(`could not save: ${error.message}`);
    logger.child({ last: error }).info('bound');
    const out = text();
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(BUYER);
    expect(out.split('\n').filter(Boolean)).toHaveLength(4);
    expect(
      out.match(/Failed query: insert into \\"webhook_endpoints\\" \(\\"id\\", \\"url\\", \\"secret\\"\) values \(\$1, \$2, \$3\)\\nparams: \[omitted\]/g)
        ?.length,
    ).toBeGreaterThanOrEqual(4);
    expect(out).toContain('duplicate key value violates unique constraint');
  });

  it('cuts the values up to the stack trace, or to the end of the text', () => {
    expect(withoutQueryParameters('Error: Failed query: select $1\nparams: a,b\n    at run (x.js:1:1)')).toBe(
      'Error: Failed query: select $1\nparams: [omitted]\n    at run (x.js:1:1)',
    );
    expect(withoutQueryParameters('Failed query: select $1\nparams: a\nb')).toBe('Failed query: select $1\nparams: [omitted]');
    expect(withoutQueryParameters('params: not a query')).toBe('params: not a query');
  });
});
