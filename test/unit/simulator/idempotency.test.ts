import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chargeBody, startHarness, type Harness } from './support/harness.js';

let h: Harness;
let cpId: string;
beforeEach(async () => {
  h = await startHarness({ seed: 7 });
  cpId = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
});
afterEach(async () => {
  await h.sim.close();
});

describe('idempotency', () => {
  it('replays the saved response for the same key and body (key order ignored)', async () => {
    const first = await h.api.createCharge(chargeBody(cpId), 'replay-1');
    const body = chargeBody(cpId);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const second = await h.api.createCharge(reordered, 'replay-1');
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(await h.control.charges()).toHaveLength(1);
    const { counts } = await h.control.attempts();
    expect(counts).toEqual({ Created: 1, Replayed: 1 });
  });

  it('same key with a changed body → 400 DuplicateIdempotencyKey', async () => {
    await h.api.createCharge(chargeBody(cpId, '14.00'), 'dup-1');
    const res = await h.api.createCharge(chargeBody(cpId, '15.00'), 'dup-1');
    expect(res.status).toBe(400);
    expect(res.body.reasonCode).toBe('DuplicateIdempotencyKey');
  });

  it('replays a stored decline (422) instead of trying again', async () => {
    await h.control.setScript(cpId, { next: ['SoftDeclined'] });
    const first = await h.api.createCharge(chargeBody(cpId), 'decl-1');
    const again = await h.api.createCharge(chargeBody(cpId), 'decl-1');
    expect(first.status).toBe(422);
    expect(again.status).toBe(422);
    expect(again.body).toEqual(first.body);
    expect((await h.api.createCharge(chargeBody(cpId), 'decl-2')).status).toBe(201);
  });

  it('key header rules: missing → MissingHeader, empty → MissingHeaderValue, too long or bad chars → InvalidHeaderValue', async () => {
    const missing = await h.api.call('POST', '/charges', chargeBody(cpId));
    expect([missing.status, missing.body.reasonCode]).toEqual([400, 'MissingHeader']);
    const empty = await h.api.createCharge(chargeBody(cpId), '');
    expect([empty.status, empty.body.reasonCode]).toEqual([400, 'MissingHeaderValue']);
    const long = await h.api.createCharge(chargeBody(cpId), 'a'.repeat(33));
    expect([long.status, long.body.reasonCode]).toEqual([400, 'InvalidHeaderValue']);
    const bad = await h.api.createCharge(chargeBody(cpId), 'has space');
    expect([bad.status, bad.body.reasonCode]).toEqual([400, 'InvalidHeaderValue']);
    expect((await h.api.createCharge(chargeBody(cpId), 'a'.repeat(32))).status).toBe(201);
  });

  it('5xx outcomes are not stored: a retry with the same key gets a fresh attempt', async () => {
    await h.control.setScript(cpId, { next: ['ProcessingFailure'] });
    const first = await h.api.createCharge(chargeBody(cpId), 'pf-1');
    expect([first.status, first.body.reasonCode]).toEqual([500, 'ProcessingFailure']);
    const retry = await h.api.createCharge(chargeBody(cpId), 'pf-1');
    expect(retry.status).toBe(201);
  });

  it('concurrent requests with the same key serialise: one charge, both see it', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => h.api.createCharge(chargeBody(cpId), 'conc-1')));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.body.chargeId)).size).toBe(1);
    expect(await h.control.charges()).toHaveLength(1);
  });

  it('processed but the response was lost: replay returns the saved charge, ledger has exactly one', async () => {
    await h.control.setFaults({ responseLostRate: 1, responseLostMode: 'status500' });
    const lost = await h.api.createCharge(chargeBody(cpId), 'lost-1');
    expect(lost.status).toBe(500);
    await h.control.setFaults({ responseLostRate: 0 });
    const replay = await h.api.createCharge(chargeBody(cpId), 'lost-1');
    expect(replay.status).toBe(201);
    const ledger = await h.control.charges();
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ chargeId: replay.body.chargeId, idempotencyKey: 'lost-1', amount: '14.00', currency: 'USD', state: 'Captured' });
  });

  it('response lost by socket reset also commits', async () => {
    await h.control.setFaults({ responseLostRate: 1, responseLostMode: 'reset' });
    await expect(h.api.createCharge(chargeBody(cpId), 'lost-2')).rejects.toThrow();
    await h.control.setFaults({ responseLostRate: 0 });
    const replay = await h.api.createCharge(chargeBody(cpId), 'lost-2');
    expect(replay.status).toBe(201);
    expect(await h.control.charges()).toHaveLength(1);
  });
});
