import { verify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { chargeBody, startHarness, waitFor, type Harness } from './support/harness.js';
import { startIpnReceiver } from './support/ipn-receiver.js';
import { snsStringToSign } from '../../../simulator/ipn-envelope.js';

let h: Harness | undefined;
let receiver: Awaited<ReturnType<typeof startIpnReceiver>> | undefined;
afterEach(async () => {
  await h?.sim.close();
  await receiver?.close();
  h = undefined;
  receiver = undefined;
});

describe('IPN delivery', () => {
  it('POSTs the exact SNS envelope, signed, and redelivers the same MessageId after a 500', async () => {
    receiver = await startIpnReceiver([500, 200]);
    h = await startHarness({ ipn: { url: receiver.url, retryScheduleMs: [50, 100, 200] } });
    const cpId = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    await h.control.closeChargePermission(cpId, 'buyer');

    await waitFor(() => (receiver!.received.length >= 2 ? true : undefined));
    const [first, second] = receiver.received;
    for (const delivery of [first!, second!]) {
      expect(delivery.headers['content-type']).toBe('text/plain; charset=UTF-8');
      expect(delivery.headers['x-amz-sns-message-type']).toBe('Notification');
      expect(delivery.headers['x-amz-sns-topic-arn']).toMatch(/^arn:aws:sns:us-east-1:\d{12}:/);
    }
    expect(second!.body).toBe(first!.body);
    const envelope = JSON.parse(first!.body) as Record<string, string>;
    expect(Object.keys(envelope).sort()).toEqual(
      ['Message', 'MessageId', 'Signature', 'SignatureVersion', 'SigningCertURL', 'Timestamp', 'TopicArn', 'Type', 'UnsubscribeURL'].sort(),
    );
    expect(envelope['Type']).toBe('Notification');
    expect(envelope['MessageId']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first!.headers['x-amz-sns-message-id']).toBe(envelope['MessageId']);
    expect(envelope['TopicArn']).toBe(first!.headers['x-amz-sns-topic-arn']);
    expect(envelope['SignatureVersion']).toBe('1');
    expect(envelope['Timestamp']).toBe('2025-03-10T12:00:00.000Z');
    expect(envelope['UnsubscribeURL']).toContain('Action=Unsubscribe');
    const message = JSON.parse(envelope['Message']!) as Record<string, string>;
    expect(message).toEqual({
      MerchantID: 'A1SIMULATED0MX',
      ObjectType: 'CHARGE_PERMISSION',
      ObjectId: cpId,
      ChargePermissionId: cpId,
      NotificationType: 'STATE_CHANGE',
      NotificationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      NotificationVersion: 'V2',
    });
    // Verify the SNS signature with the PEM served at SigningCertURL.
    expect(envelope['SigningCertURL']).toBe(`${h.sim.url}/__sim/ipn/signing-cert.pem`);
    const pem = await (await fetch(envelope['SigningCertURL']!)).text();
    // The string to sign as AWS documents it for a Notification without Subject, written out here;
    // the signature is checked against it, not against what the simulator builds.
    const stringToSign = `Message\n${envelope['Message']}\nMessageId\n${envelope['MessageId']}\nTimestamp\n${envelope['Timestamp']}\nTopicArn\n${envelope['TopicArn']}\nType\nNotification\n`;
    expect(snsStringToSign(envelope as never)).toBe(stringToSign);
    expect(verify('sha1', Buffer.from(stringToSign), pem, Buffer.from(envelope['Signature']!, 'base64'))).toBe(true);
    expect(verify('sha1', Buffer.from(stringToSign + 'x'), pem, Buffer.from(envelope['Signature']!, 'base64'))).toBe(false);

    const { deliveries } = await h.control.ipnDeliveries();
    expect(deliveries.map((d) => [d.attempt, d.status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
  });

  it('never retries after a 4xx, and gives up after the schedule on 5xx', async () => {
    receiver = await startIpnReceiver([400, 503, 503, 503]);
    h = await startHarness({ ipn: { url: receiver.url, retryScheduleMs: [20, 20] } });
    const a = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    await h.control.makeNonChargeable(a, 'PaymentMethodExpired');
    await waitFor(async () => ((await h!.control.ipnDeliveries()).pending === 0 && receiver!.received.length === 1 ? true : undefined));
    await h.control.makeChargeable(a);
    await waitFor(async () => ((await h!.control.ipnDeliveries()).pending === 0 && receiver!.received.length === 4 ? true : undefined));
    const { deliveries } = await h.control.ipnDeliveries();
    expect(deliveries.map((d) => d.status)).toEqual([400, 503, 503, 503]);
    expect(new Set(deliveries.slice(1).map((d) => d.messageId)).size).toBe(1);
  });

  it('duplicates with probability 1 deliver every message twice with the same MessageId', async () => {
    receiver = await startIpnReceiver();
    h = await startHarness({ seed: 1, ipn: { url: receiver.url, duplicateProbability: 1 } });
    const cpId = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    await h.api.createCharge(chargeBody(cpId), 'ipn-dup');
    await waitFor(() => (receiver!.received.length >= 2 ? true : undefined));
    const ids = receiver.received.map((r) => (JSON.parse(r.body) as { MessageId: string }).MessageId);
    expect(ids[0]).toBe(ids[1]);
  });

  it('suppressSynchronous skips IPNs for outcomes the caller already saw', async () => {
    receiver = await startIpnReceiver();
    h = await startHarness({ ipn: { url: receiver.url, suppressSynchronous: true } });
    const cpId = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    await h.api.createCharge(chargeBody(cpId), 'sync-1');
    await h.control.closeChargePermission(cpId, 'amazon');
    await waitFor(() => (receiver!.received.length >= 1 ? true : undefined));
    await waitFor(async () => ((await h!.control.ipnDeliveries()).pending === 0 ? true : undefined));
    expect(receiver.received.map((r) => JSON.parse((JSON.parse(r.body) as { Message: string }).Message).ObjectType)).toEqual(['CHARGE_PERMISSION']);
  });

  it('holds a reorder window and releases every envelope in it', async () => {
    receiver = await startIpnReceiver();
    h = await startHarness({ seed: 3, ipn: { url: receiver.url, reorderWindow: 4, reorderHoldMs: 50 } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const cp = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
      ids.push(cp);
      await h.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    }
    await waitFor(() => (receiver!.received.length === 4 ? true : undefined));
    const { sent } = h.sim.runtime.engine.ipn;
    expect(sent.map((e) => JSON.parse(e.Message).ObjectId)).toEqual(ids);
    const got = receiver.received.map((r) => JSON.parse((JSON.parse(r.body) as { Message: string }).Message).ObjectId);
    // Every envelope of the window, once, and not in the order they were published (seed 3 shuffles them).
    expect([...got].sort()).toEqual([...ids].sort());
    expect(got).not.toEqual(ids);
  });
});
