// The product's own client (amazonpay/client.ts) against the simulator over plain HTTP: every
// operation, both algorithms, LIVE-/SANDBOX-/plain keys. Its requests must verify and its
// classification must see the documented statuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmazonPayClient } from '../../../amazonpay/client.js';
import { parseAmazonPayConfig } from '../../../amazonpay/config.js';
import { startSimulator, type Simulator } from '../../../simulator/server.js';
import { createChargePermissionAsBuyer } from '../../../simulator/control-actions.js';
import { generateTestKeyPair } from './support/signing.js';

const keys = generateTestKeyPair();
let sim: Simulator;

const RUNS = [
  { tag: 'sandbox key, V1', publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA', algorithm: 'AMZN-PAY-RSASSA-PSS', environment: 'sandbox', env: 'Sandbox' },
  { tag: 'live key, V2', publicKeyId: 'LIVE-BBBBBBBBBBBBBBBBBBBBBBBB', algorithm: 'AMZN-PAY-RSASSA-PSS-V2', environment: 'live', env: 'Live' },
  { tag: 'plain key sandbox, V2', publicKeyId: 'CCCCCCCCCCCCCCCCCCCCCCCC', algorithm: 'AMZN-PAY-RSASSA-PSS-V2', environment: 'sandbox', env: 'Sandbox' },
  { tag: 'plain key live, V1', publicKeyId: 'CCCCCCCCCCCCCCCCCCCCCCCC', algorithm: 'AMZN-PAY-RSASSA-PSS', environment: 'live', env: 'Live' },
] as const;

beforeAll(async () => {
  sim = await startSimulator({ throttle: { table: 'off' }, publicKeys: Object.fromEntries(RUNS.map((r) => [r.publicKeyId, keys.publicKeyPem])) });
});
afterAll(async () => {
  await sim?.close();
});

describe.each(RUNS.map((r) => [r.tag, r] as const))('product client, %s', (_tag, run) => {
  it('runs every operation with the documented statuses', async () => {
    const cp = createChargePermissionAsBuyer(sim.runtime.engine, { type: 'Recurring', currency: 'USD', environment: run.env });
    const cpId = (cp.chargePermission as { chargePermissionId: string }).chargePermissionId;
    const config = parseAmazonPayConfig({
      publicKeyId: run.publicKeyId,
      privateKey: keys.privateKeyPem,
      region: 'na',
      environment: run.environment,
      endpoint: sim.url,
      algorithm: run.algorithm,
    });
    const client = createAmazonPayClient(config);
    const tag = run.tag.replace(/\W/g, '');
    try {
      const amount = { amount: '14.00', currencyCode: 'USD' };
      const created = await client.createCharge({ chargePermissionId: cpId, chargeAmount: amount, captureNow: false } as never, { idempotencyKey: `${tag}c1` });
      expect(created).toMatchObject({ kind: 'ok', status: 201 });
      const chargeId = (created as { body: { chargeId: string } }).body.chargeId;
      expect(await client.getCharge(chargeId)).toMatchObject({ kind: 'ok', status: 200 });
      expect(await client.captureCharge(chargeId, { captureAmount: amount } as never, { idempotencyKey: `${tag}cap` })).toMatchObject({
        kind: 'ok',
        status: 200,
      });
      const refund = await client.createRefund({ chargeId, refundAmount: { amount: '1.00', currencyCode: 'USD' } } as never, { idempotencyKey: `${tag}r1` });
      expect(refund).toMatchObject({ kind: 'ok', status: 201 });
      expect(await client.getRefund((refund as { body: { refundId: string } }).body.refundId)).toMatchObject({ kind: 'ok', status: 200 });
      const second = await client.createCharge({ chargePermissionId: cpId, chargeAmount: amount, captureNow: false } as never, { idempotencyKey: `${tag}c2` });
      const secondId = (second as { body: { chargeId: string } }).body.chargeId;
      expect(await client.cancelCharge(secondId, { cancellationReason: 'test' } as never)).toMatchObject({ kind: 'ok', status: 200 });
      expect(await client.getChargePermission(cpId)).toMatchObject({ kind: 'ok', status: 200 });
      expect(await client.updateChargePermission(cpId, { merchantMetadata: { merchantReferenceId: 'ref' } } as never)).toMatchObject({
        kind: 'ok',
        status: 200,
      });
      expect(await client.closeChargePermission(cpId, { closureReason: 'done', cancelPendingCharges: false } as never)).toMatchObject({
        kind: 'ok',
        status: 200,
      });
      const afterClose = await client.createCharge({ chargePermissionId: cpId, chargeAmount: amount, captureNow: true } as never, {
        idempotencyKey: `${tag}c3`,
      });
      expect(afterClose).toMatchObject({ status: 422, reasonCode: 'InvalidChargePermissionStatus' });
    } finally {
      client.close();
    }
  });
});
