// One path for reading Amazon Pay (amazonpay/reads.ts): the workflows' activities and the IPN
// reaction map answers the same way, fail in one style, and every 429 is counted whoever read.
// The client is a stand-in answering with outcomes classified from real status codes and bodies.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createAmazonActivities } from '../../../activities/amazon.js';
import { FailureTypes } from '../../../activities/errors.js';
import type { AmazonPayClient } from '../../../amazonpay/client.js';
import type { DatabaseOrTransaction } from '../../../db/client.js';
import { classifyResponse, type AmazonPayOperation } from '../../../amazonpay/outcomes.js';
import { AmazonReadFailed, readChargeUpdate, readPermissionStatus, readRefund } from '../../../amazonpay/reads.js';
import { isEvidenceOfChange, permissionStatusPayload } from '../../../workflows/messages.js';

const permission = {
  chargePermissionId: 'C01-0000000-0000001',
  chargePermissionType: 'Recurring',
  statusDetails: { state: 'NonChargeable', reasons: [{ reasonCode: 'PaymentMethodExpired' }] },
  paymentPreferences: [{ paymentDescriptor: 'Visa ****1111' }],
  limits: { amountLimit: { amount: '500.00', currencyCode: 'USD' } },
};
const charge = { chargeId: 'S01-0000000-0000001-C000001', statusDetails: { state: 'Declined', reasonCode: 'HardDeclined' } };
/** The reads tested here touch no database (only the capture reads the subscription's descriptor). */
const NO_DATABASE = {} as DatabaseOrTransaction;

/** Answers every call with `status` and `body`, classified as the real client classifies them. */
function answering(status: number, body: unknown): AmazonPayClient & { calls: string[] } {
  const calls: string[] = [];
  const answer = (operation: AmazonPayOperation) => {
    calls.push(operation);
    return Promise.resolve(classifyResponse(operation, status, JSON.stringify(body), 'req-1'));
  };
  return {
    calls,
    getChargePermission: () => answer('getChargePermission'),
    getCharge: () => answer('getCharge'),
    getRefund: () => answer('getRefund'),
    closeChargePermission: () => answer('closeChargePermission'),
  } as unknown as AmazonPayClient & { calls: string[] };
}

function counter() {
  const throttled: string[] = [];
  return { throttled, onAmazonThrottled: (operation: string) => void throttled.push(operation) };
}

const TOO_MANY = { reasonCode: 'TooManyRequests', message: 'slow down' };

describe('amazonpay/reads: one mapping of Amazon Pay answers', () => {
  it('maps a Charge Permission and a Charge to what the workflow understands', async () => {
    expect(await readPermissionStatus({ amazonPay: answering(200, permission) }, 'C01')).toEqual({
      state: 'NonChargeable',
      reasons: ['PaymentMethodExpired'],
      paymentDescriptor: 'Visa ****1111',
      amountLimit: { amountMinor: '50000', currency: 'USD' },
    });
    expect(await readChargeUpdate({ amazonPay: answering(200, charge) }, 'S01')).toEqual({
      chargeId: charge.chargeId,
      state: 'Declined',
      reasonCode: 'HardDeclined',
    });
  });

  it("carries the permission's expirationTimestamp as an ISO instant: null when none, left out when missing or unreadable", async () => {
    const read = async (expirationTimestamp: unknown) =>
      (await readPermissionStatus({ amazonPay: answering(200, { ...permission, expirationTimestamp }) }, 'C01')).expiresAt;
    expect(await read('20270115T093000Z')).toBe('2027-01-15T09:30:00.000Z');
    expect(await read(null)).toBeNull();
    expect(await read('2027-01-15T09:30:00Z')).toBeUndefined();
    expect(await read(undefined)).toBeUndefined();
    // And it reaches the workflow in the permissionStatus signal.
    const status = await readPermissionStatus({ amazonPay: answering(200, { ...permission, expirationTimestamp: '20270115T093000Z' }) }, 'C01');
    expect(permissionStatusPayload(status, true).expiresAt).toBe('2027-01-15T09:30:00.000Z');
  });

  it('says NotFound (or null for a refund) when Amazon Pay does not know the object', async () => {
    const notFound = { reasonCode: 'ResourceNotFound', message: 'no such thing' };
    expect(await readPermissionStatus({ amazonPay: answering(404, notFound) }, 'C01')).toEqual({ state: 'NotFound', reasons: ['ResourceNotFound'] });
    expect(await readRefund({ amazonPay: answering(404, notFound) }, 'S01-R')).toBeNull();
  });

  it('counts every 429 with its operation and throws AmazonReadFailed saying a retry can help', async () => {
    const metrics = counter();
    const deps = { amazonPay: answering(429, TOO_MANY), metrics };
    for (const read of [() => readPermissionStatus(deps, 'C01'), () => readChargeUpdate(deps, 'S01'), () => readRefund(deps, 'S01-R')]) {
      const error = await read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AmazonReadFailed);
      expect((error as AmazonReadFailed).retryable).toBe(true);
    }
    expect(metrics.throttled).toEqual(['getChargePermission', 'getCharge', 'getRefund']);
  });
});

describe('the workflows\u2019 Amazon Pay activities read through the same path', () => {
  const env = () => new MockActivityEnvironment({ attempt: 3 });

  it('count a 429 in the throttle metric and fail retryably with a backoff', async () => {
    const metrics = counter();
    const acts = createAmazonActivities({ amazonPay: answering(429, TOO_MANY), metrics, db: NO_DATABASE });
    const failures = [
      await env()
        .run(acts.getPermissionStatus, { chargePermissionId: 'C01' })
        .catch((e: unknown) => e),
      await env()
        .run(acts.getChargeStatus, { chargeId: 'S01' })
        .catch((e: unknown) => e),
      await env()
        .run(acts.closePermission, { chargePermissionId: 'C01', reason: 'test' })
        .catch((e: unknown) => e),
    ];
    expect(metrics.throttled).toEqual(['getChargePermission', 'getCharge', 'closeChargePermission']);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).type).toBe(FailureTypes.throttled);
      expect((failure as ApplicationFailure).nonRetryable).toBe(false);
      expect(Number((failure as ApplicationFailure).nextRetryDelay)).toBeGreaterThan(0);
    }
  });

  it('fail non-retryably on a refusal, naming the operation and Amazon\u2019s reason', async () => {
    const acts = createAmazonActivities({ amazonPay: answering(400, { reasonCode: 'InvalidParameterValue', message: 'refused' }), db: NO_DATABASE });
    const failure = (await env()
      .run(acts.getPermissionStatus, { chargePermissionId: 'C01' })
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect(failure.type).toBe(FailureTypes.invalidRequest);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^getChargePermission: invalid_request: HTTP 400 InvalidParameterValue: refused/);
  });

  it('take an already closed permission as closed', async () => {
    const acts = createAmazonActivities({ amazonPay: answering(422, { reasonCode: 'InvalidChargePermissionStatus', message: 'closed' }), db: NO_DATABASE });
    await expect(env().run(acts.closePermission, { chargePermissionId: 'C01', reason: 'test' })).resolves.toBeUndefined();
  });
});

describe('the permissionStatus signal: evidence of a change or a routine check', () => {
  it('is sent under the new name and the old one', () => {
    const status = { state: 'Chargeable' as const, reasons: [] };
    expect(permissionStatusPayload(status, true)).toMatchObject({ evidenceOfChange: true, source: 'ipn' });
    expect(permissionStatusPayload(status, false)).toMatchObject({ evidenceOfChange: false, source: 'poll' });
  });

  it('is read from either form; a payload older than both is evidence (IPNs sent it)', () => {
    const status = { state: 'Chargeable' as const, reasons: [] };
    expect(isEvidenceOfChange({ ...status, evidenceOfChange: false })).toBe(false);
    expect(isEvidenceOfChange({ ...status, evidenceOfChange: true, source: 'poll' })).toBe(true);
    expect(isEvidenceOfChange({ ...status, source: 'poll' })).toBe(false);
    expect(isEvidenceOfChange({ ...status, source: 'ipn' })).toBe(true);
    expect(isEvidenceOfChange(status)).toBe(true);
  });
});
