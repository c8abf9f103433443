// `npm run sandbox` flags for the x-amz-pay-date tolerances (issue 13 §2).
import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../../simulator/cli-args.js';

describe('simulator date tolerance flags', () => {
  it('--max-future-skew-ms and --max-past-skew-ms set the tolerances', () => {
    const options = parseCliArgs(['--max-future-skew-ms', '0', '--max-past-skew-ms=60000'], {});
    expect(options).toMatchObject({ maxFutureSkewMs: 0, maxClockSkewMs: 60_000 });
  });
  it('a bad value is refused in one line naming the flag and the accepted range', () => {
    expect(() => parseCliArgs(['--max-future-skew-ms', '-5'], {})).toThrow(UsageError);
    expect(() => parseCliArgs(['--max-future-skew-ms', '5s'], {})).toThrow('--max-future-skew-ms must be an integer from 0 to 86400000, got "5s"');
  });
});
