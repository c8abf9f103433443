// Runs the official Amazon Pay Node SDK against the simulator in a child process, because its
// overrideServiceUrl option switches off TLS certificate checks for the whole process (through an environment variable).
// Input: JSON in env SDK_RUN; output: one JSON line with a result per operation.
'use strict';
const { WebStoreClient } = require('@amazonpay/amazon-pay-api-sdk-nodejs');

const input = JSON.parse(process.env.SDK_RUN);

function summarize(op, response) {
  return {
    op,
    status: response.status,
    keys: Object.keys(response.data || {}),
    data: response.data,
    requestId: response.headers['x-amz-pay-request-id'] || null,
  };
}

async function attempt(op, fn) {
  try {
    return summarize(op, await fn());
  } catch (error) {
    if (error && error.response) return { op, status: error.response.status, error: error.response.data };
    return { op, status: 0, error: String(error && error.message ? error.message : error) };
  }
}

async function runOne(run) {
  const client = new WebStoreClient({
    publicKeyId: run.publicKeyId,
    privateKey: input.privateKeyPem,
    region: 'us',
    sandbox: run.sandbox,
    algorithm: run.algorithm,
    overrideServiceUrl: `127.0.0.1:${input.port}`,
  });
  const key = (suffix) => `${run.tag}${suffix}`.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32);
  const results = [];
  const amount = { amount: '14.00', currencyCode: 'USD' };
  const created = await attempt('createCharge', () =>
    client.createCharge(
      { chargePermissionId: run.chargePermissionId, chargeAmount: amount, captureNow: false, canHandlePendingAuthorization: false },
      { 'x-amz-pay-idempotency-key': key('c1') },
    ),
  );
  results.push(created);
  const chargeId = created.data && created.data.chargeId;
  results.push(await attempt('getCharge', () => client.getCharge(chargeId)));
  results.push(
    await attempt('captureCharge', () =>
      client.captureCharge(chargeId, { captureAmount: amount, softDescriptor: 'AMZN' }, { 'x-amz-pay-idempotency-key': key('cap') }),
    ),
  );
  const refund = await attempt('createRefund', () =>
    client.createRefund(
      { chargeId, refundAmount: { amount: '4.00', currencyCode: 'USD' }, softDescriptor: 'REFUND' },
      { 'x-amz-pay-idempotency-key': key('r1') },
    ),
  );
  results.push(refund);
  results.push(await attempt('getRefund', () => client.getRefund(refund.data && refund.data.refundId)));
  const second = await attempt('createCharge2', () =>
    client.createCharge({ chargePermissionId: run.chargePermissionId, chargeAmount: amount, captureNow: false }, { 'x-amz-pay-idempotency-key': key('c2') }),
  );
  results.push(await attempt('cancelCharge', () => client.cancelCharge(second.data && second.data.chargeId, { cancellationReason: 'REASON DESCRIPTION' })));
  results.push(await attempt('getChargePermission', () => client.getChargePermission(run.chargePermissionId)));
  results.push(
    await attempt('updateChargePermission', () =>
      client.updateChargePermission(run.chargePermissionId, {
        merchantMetadata: { merchantReferenceId: 'ref-1', merchantStoreName: 'Store', noteToBuyer: 'note', customInformation: 'info' },
      }),
    ),
  );
  results.push(
    await attempt('closeChargePermission', () =>
      client.closeChargePermission(run.chargePermissionId, { closureReason: 'No more charges required', cancelPendingCharges: false }),
    ),
  );
  return { tag: run.tag, results };
}

(async () => {
  const out = [];
  for (const run of input.runs) out.push(await runOne(run));
  process.stdout.write(JSON.stringify(out));
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
