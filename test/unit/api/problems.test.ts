import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { ApiProblem, problemFor } from '../../../api/problems.js';
import { ChargePermissionNotChargeableError, ConflictError, InvalidInputError, NotFoundError, UpstreamError } from '../../../client/errors.js';

const statusOf = (error: unknown) => problemFor(error, '/v1/x');

describe('api/problems.ts: one mapping from failures to RFC 9457 documents', () => {
  it('maps each typed library error to its status and stable type', () => {
    const cases: Array<[unknown, number, string]> = [
      [InvalidInputError.of('plan.price.amount', 'must be positive'), 422, 'invalid-input'],
      [new NotFoundError('subscription', 'sub-1'), 404, 'not-found'],
      [new ConflictError('already finished'), 409, 'conflict'],
      [new ChargePermissionNotChargeableError('S01-1234567-1234567', 'Closed', [], 'it is Closed'), 422, 'charge-permission-not-chargeable'],
      [new UpstreamError('Amazon Pay throttled', true), 503, 'service-unavailable'],
      [new UpstreamError('Amazon Pay refused', false), 502, 'upstream-refused'],
      [new ApiProblem('forbidden', 'read-only'), 403, 'forbidden'],
    ];
    for (const [error, status, type] of cases) {
      const { problem } = statusOf(error);
      expect(problem.status, type).toBe(status);
      expect(problem.type).toBe(`urn:amazon-pay-billing:problem:${type}`);
      expect(problem.instance).toBe('/v1/x');
    }
    expect(statusOf(InvalidInputError.of('amount', 'too much')).problem.errors).toEqual([{ field: 'amount', message: 'too much' }]);
    expect(statusOf(new UpstreamError('down', true)).headers['retry-after']).toMatch(/^\d+$/);
  });

  it('Temporal or PostgreSQL unreachable is 503 with Retry-After; anything else is a generic 500 without the message', () => {
    const temporal = statusOf(new ServiceError('Failed to query workflow', { cause: Object.assign(new Error('14 UNAVAILABLE'), { code: 14 }) }));
    expect(temporal.problem.status).toBe(503);
    expect(temporal.headers['retry-after']).toBeDefined();
    const pg = statusOf(new Error('Failed query: select …', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
    expect(pg.problem.status).toBe(503);
    expect(pg.problem.detail).toMatch(/PostgreSQL/);
    const bug = statusOf(new TypeError("Cannot read properties of undefined (reading 'secret-internal')"));
    expect(bug.problem.status).toBe(500);
    expect(bug.unexpected).toBe(true);
    expect(JSON.stringify(bug.problem)).not.toMatch(/secret-internal|TypeError/);
  });

  it("Fastify's own errors: body limit 413, invalid JSON 400, media type 415", () => {
    const fst = (code: string, statusCode: number) => Object.assign(new Error(code), { code, statusCode });
    expect(statusOf(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413)).problem.status).toBe(413);
    expect(statusOf(fst('FST_ERR_CTP_INVALID_JSON_BODY', 400)).problem.type).toMatch(/invalid-json$/);
    expect(statusOf(fst('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).problem.status).toBe(415);
  });
});
