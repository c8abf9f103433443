import { describe, expect, it } from 'vitest';
import { classifyNetworkError, classifyResponse, describeOutcome } from '../../../amazonpay/outcomes.js';
import type { AmazonPayOperation, OutcomeKind } from '../../../amazonpay/outcomes.js';

const errorBody = (reasonCode: string): string => JSON.stringify({ reasonCode, message: `message for ${reasonCode}` });

// Every reasonCode/status pair of the Amazon Pay API v2 error codes, with the kind amazonpay/outcomes.ts
// assigns on Create Charge.
const createChargeTable: [number, string, OutcomeKind][] = [
  [400, 'InvalidHeaderValue', 'invalid_request'],
  [400, 'InvalidRequest', 'invalid_request'],
  [400, 'InvalidParameterValue', 'invalid_request'],
  [400, 'InvalidRequestFormat', 'invalid_request'],
  [400, 'MissingHeader', 'invalid_request'],
  [400, 'MissingHeaderValue', 'invalid_request'],
  [400, 'MissingParameterValue', 'invalid_request'],
  [400, 'UnrecognizedField', 'invalid_request'],
  [400, 'InvalidSandboxSimulationSpecified', 'invalid_request'],
  [400, 'DuplicateIdempotencyKey', 'invalid_request'],
  [400, 'InvalidParameterCombination', 'invalid_request'],
  [400, 'InvalidAPIVersion', 'invalid_request'],
  [400, 'CurrencyMismatch', 'refused'],
  [400, 'TransactionAmountExceeded', 'refused'],
  [400, 'PeriodicAmountExceeded', 'refused'],
  [400, 'CheckoutSessionCanceled', 'refused'],
  [422, 'CheckoutSessionCanceled', 'refused'],
  [401, 'UnauthorizedAccess', 'invalid_request'],
  [403, 'InvalidAuthentication', 'invalid_request'],
  [403, 'InvalidAccountStatus', 'invalid_request'],
  [403, 'InvalidRequestSignature', 'invalid_request'],
  [403, 'InvalidAuthorizationToken', 'invalid_request'],
  [404, 'ResourceNotFound', 'permission_state'],
  [405, 'UnsupportedOperation', 'invalid_request'],
  [405, 'RequestNotSupported', 'invalid_request'],
  [408, 'RequestTimeout', 'transient'],
  [409, 'AmountMismatch', 'refused'],
  [422, 'InvalidChargePermissionStatus', 'permission_state'],
  [422, 'InvalidChargeStatus', 'permission_state'],
  [422, 'ChargePermissionNotModifiable', 'permission_state'],
  [422, 'InvalidCheckoutSessionStatus', 'permission_state'],
  [422, 'SoftDeclined', 'soft_decline'],
  [422, 'HardDeclined', 'hard_decline'],
  [422, 'MFANotCompleted', 'hard_decline'],
  [422, 'PaymentMethodNotAllowed', 'hard_decline'],
  [422, 'TransactionTimedOut', 'refused'],
  [422, 'AmazonRejected', 'refused'],
  [422, 'TransactionCountExceeded', 'refused'],
  [426, 'TLSVersionNotSupported', 'invalid_request'],
  [429, 'TooManyRequests', 'throttled'],
  [500, 'InternalServerError', 'transient'],
  [500, 'ProcessingFailure', 'soft_decline'],
  [503, 'ServiceUnavailable', 'transient'],
  [502, 'BadGateway', 'transient'],
  [504, 'GatewayTimeout', 'transient'],
  [425, 'TooEarly', 'transient'],
];

describe('classifyResponse on createCharge: every reasonCode of the Amazon Pay API v2 error codes', () => {
  it.each(createChargeTable)('HTTP %i %s → %s, reasonCode, message and request id kept', (status, reasonCode, kind) => {
    const outcome = classifyResponse('createCharge', status, errorBody(reasonCode), 'req-1');
    expect(outcome.kind).toBe(kind);
    expect(outcome.status).toBe(status);
    expect(outcome.requestId).toBe('req-1');
    if (outcome.kind === 'ok') throw new Error('unexpected ok');
    expect(outcome.reasonCode).toBe(reasonCode);
    expect(outcome.message).toBe(`message for ${reasonCode}`);
    if (outcome.kind === 'transient') expect(outcome.mayHaveBeenProcessed).toBe(true);
  });
});

describe('per-operation decisions', () => {
  const others: AmazonPayOperation[] = ['captureCharge', 'createRefund', 'getCharge', 'closeChargePermission'];
  it.each(others)('500 ProcessingFailure on %s is transient, not a decline', (operation) => {
    const outcome = classifyResponse(operation, 500, errorBody('ProcessingFailure'), undefined);
    expect(outcome).toMatchObject({ kind: 'transient', reasonCode: 'ProcessingFailure', mayHaveBeenProcessed: true });
  });

  it('AmazonRejected on capture is a refusal', () => {
    expect(classifyResponse('captureCharge', 422, errorBody('AmazonRejected'), undefined).kind).toBe('refused');
  });

  it.each([
    [409, 'AmountMismatch', 'refused'],
    [400, 'CheckoutSessionCanceled', 'refused'],
    [422, 'InvalidCheckoutSessionStatus', 'permission_state'],
    [400, 'CurrencyMismatch', 'refused'],
    [400, 'MissingParameterValue', 'invalid_request'],
  ] as const)('Complete Checkout Session HTTP %i %s → %s', (status, reasonCode, kind) => {
    expect(classifyResponse('completeCheckoutSession', status, errorBody(reasonCode), undefined)).toMatchObject({ kind, reasonCode });
  });

  it('InvalidChargeStatus on createRefund is a state problem', () => {
    expect(classifyResponse('createRefund', 422, errorBody('InvalidChargeStatus'), undefined).kind).toBe('permission_state');
  });
});

describe('successful responses', () => {
  it.each([
    ['createCharge', 201, { chargeId: 'S01-1-1-C1' }],
    ['getCharge', 200, { chargeId: 'S01-1-1-C1' }],
    ['cancelCharge', 200, { chargeId: 'S01-1-1-C1' }],
    ['getChargePermission', 200, { chargePermissionId: 'S01-1-1' }],
    ['closeChargePermission', 200, { chargePermissionId: 'S01-1-1' }],
    ['createRefund', 201, { refundId: 'S01-1-1-R1' }],
    ['getCheckoutSession', 200, { checkoutSessionId: 'bd504926-f659-4ad7-a1a9-9a747aaf5275' }],
    ['completeCheckoutSession', 202, { checkoutSessionId: 'bd504926-f659-4ad7-a1a9-9a747aaf5275' }],
  ] as const)('%s HTTP %i with the id field is ok with the parsed body', (operation, status, body) => {
    const outcome = classifyResponse(operation, status, JSON.stringify(body), 'rid');
    expect(outcome).toEqual({ kind: 'ok', status, body, requestId: 'rid' });
  });

  it('accepts an already-parsed body', () => {
    expect(classifyResponse('getRefund', 200, { refundId: 'R' }, undefined).kind).toBe('ok');
  });

  it.each([
    ['not JSON', '<html>ok</html>'],
    ['empty', ''],
    ['wrong object', '{"refundId":"x"}'],
    ['array', '[]'],
  ])('a 2xx with an unreadable body (%s) is transient and may have been processed', (_name, body) => {
    const outcome = classifyResponse('createCharge', 201, body, 'rid');
    expect(outcome).toMatchObject({ kind: 'transient', status: 201, reasonCode: 'UnreadableSuccessResponse', mayHaveBeenProcessed: true, requestId: 'rid' });
  });
});

describe('unknown codes and odd bodies', () => {
  it.each([
    [400, 'BrandNewValidationCode', 'invalid_request'],
    [403, 'SomethingForbidden', 'invalid_request'],
    [404, 'NoSuchRoute', 'invalid_request'],
    [422, 'BrandNewDeclineCode', 'refused'],
    [500, 'SomethingBroke', 'transient'],
    [429, 'SlowDown', 'throttled'],
    [302, 'Moved', 'invalid_request'],
  ] as const)('HTTP %i with unknown code %s → %s, raw code preserved', (status, reasonCode, kind) => {
    const outcome = classifyResponse('createCharge', status, errorBody(reasonCode), undefined);
    expect(outcome.kind).toBe(kind);
    if (outcome.kind !== 'ok') expect(outcome.reasonCode).toBe(reasonCode);
  });

  it('an HTML 502 from a proxy is transient and quotes the start of the body', () => {
    const outcome = classifyResponse('createCharge', 502, '<html><body>\n  Bad Gateway\n</body></html>', undefined);
    expect(outcome).toMatchObject({ kind: 'transient', status: 502, reasonCode: undefined, mayHaveBeenProcessed: true });
    if (outcome.kind === 'ok') throw new Error('unexpected ok');
    expect(outcome.message).toContain('<html><body> Bad Gateway </body></html>');
  });

  it('a 404 without ResourceNotFound (wrong endpoint) is a configuration problem, never "permission gone"', () => {
    expect(classifyResponse('getChargePermission', 404, 'Not Found', undefined)).toMatchObject({ kind: 'invalid_request', reasonCode: 'HTTP404' });
  });

  it('a 429 without body still reports TooManyRequests', () => {
    expect(classifyResponse('createCharge', 429, '', 'r')).toMatchObject({ kind: 'throttled', status: 429, reasonCode: 'TooManyRequests', requestId: 'r' });
  });

  it.each([null, 42, 'null', '"text"', '{"reasonCode":5}', { reasonCode: null }])('does not crash on body %j', (body) => {
    expect(() => classifyResponse('createCharge', 400, body, undefined)).not.toThrow();
    expect(classifyResponse('createCharge', 400, body, undefined).kind).toBe('invalid_request');
  });

  it('truncates a huge body in the message', () => {
    const outcome = classifyResponse('getCharge', 503, 'x'.repeat(10_000), undefined);
    if (outcome.kind === 'ok') throw new Error('unexpected ok');
    expect(outcome.message.length).toBeLessThan(300);
  });
});

describe('classifyNetworkError', () => {
  const withCode = (code: string): Error => Object.assign(new Error(`failed ${code}`), { code });
  it.each([
    ['ECONNREFUSED', false, false],
    ['ENOTFOUND', false, false],
    ['EAI_AGAIN', false, false],
    ['ETIMEDOUT', false, false],
    ['ETIMEDOUT', true, true],
    ['ECONNRESET', true, true],
    ['EPIPE', true, true],
    ['ECONNREFUSED', true, false],
  ])('%s with sent=%s → mayHaveBeenProcessed %s', (code, sent, expected) => {
    expect(classifyNetworkError(withCode(code), { sent })).toMatchObject({
      kind: 'transient',
      status: undefined,
      reasonCode: code,
      mayHaveBeenProcessed: expected,
    });
  });

  it('handles a thrown non-Error', () => {
    expect(classifyNetworkError('boom', { sent: true })).toMatchObject({ reasonCode: 'NetworkError', message: 'boom', mayHaveBeenProcessed: true });
  });
});

describe('describeOutcome', () => {
  it('names kind, status, code, message and request id', () => {
    const text = describeOutcome(classifyResponse('createCharge', 422, errorBody('HardDeclined'), 'abc-123'));
    expect(text).toBe('hard_decline: HTTP 422 HardDeclined: message for HardDeclined (request id abc-123)');
  });

  it('says whether a network failure may have been processed', () => {
    const text = describeOutcome(classifyNetworkError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), { sent: false }));
    expect(text).toBe('transient: no HTTP response ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1; not processed');
  });

  it('describes ok', () => {
    expect(describeOutcome({ kind: 'ok', status: 201, body: {}, requestId: 'r' })).toBe('ok: HTTP 201 (request id r)');
  });
});

describe('the clock-skew refusal of x-amz-pay-date (issue 13 §2)', () => {
  const ops: AmazonPayOperation[] = [
    'createCharge',
    'getCharge',
    'captureCharge',
    'cancelCharge',
    'getChargePermission',
    'updateChargePermission',
    'closeChargePermission',
    'createRefund',
    'getRefund',
  ];
  it.each(ops)('%s: Amazon\'s "should not be in future" is transient and provably not processed', (op) => {
    const body = JSON.stringify({ reasonCode: 'InvalidHeaderValue', message: 'x-amz-pay-date should not be in future' });
    expect(classifyResponse(op, 400, body, 'req-1')).toEqual({
      kind: 'transient',
      status: 400,
      reasonCode: 'InvalidHeaderValue',
      message: 'x-amz-pay-date should not be in future',
      requestId: 'req-1',
      mayHaveBeenProcessed: false,
    });
  });
  it('a date too far in the past is the same kind; a malformed date or another header is not', () => {
    const past = JSON.stringify({ reasonCode: 'InvalidHeaderValue', message: 'x-amz-pay-date is more than 15 minutes in the past of the server time.' });
    expect(classifyResponse('getChargePermission', 400, past, undefined).kind).toBe('transient');
    const malformed = JSON.stringify({
      reasonCode: 'InvalidHeaderValue',
      message: 'x-amz-pay-date is not a valid date; accepted: yyyyMMddTHHmmssZ or yyyy-MM-ddTHH:mm:ssZ.',
    });
    expect(classifyResponse('getChargePermission', 400, malformed, undefined).kind).toBe('invalid_request');
    const key = JSON.stringify({ reasonCode: 'InvalidHeaderValue', message: 'x-amz-pay-idempotency-key should not be in future' });
    expect(classifyResponse('createCharge', 400, key, undefined).kind).toBe('invalid_request');
    const otherCode = JSON.stringify({ reasonCode: 'InvalidRequest', message: 'x-amz-pay-date should not be in future' });
    expect(classifyResponse('createCharge', 400, otherCode, undefined).kind).toBe('invalid_request');
  });
});
