// The retry schedule's default window, jitter bounds, the billing.yaml checks of `webhooks`, and
// what an endpoint may be configured with.
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_SETTINGS, parseBillingYaml } from '../../../config/billing.js';
import { validateEventTypes, validateWebhookUrl } from '../../../webhooks/endpoint-input.js';
import { nextAttemptAt, retryWindowMs } from '../../../webhooks/retry.js';
import { signWebhook } from '../../../webhooks/signing.js';
import { Webhook } from 'standardwebhooks';

describe('webhook retries', () => {
  it('the default schedule spans at least 3 days, and jitter only lengthens a delay (at most +20 %)', () => {
    expect(retryWindowMs(DEFAULT_WEBHOOK_SETTINGS.retrySchedule)).toBeGreaterThanOrEqual(3 * 86_400_000);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(nextAttemptAt([5_000, 300_000], 1, now, () => 0)).toEqual(new Date(now.getTime() + 5_000));
    expect(nextAttemptAt([5_000, 300_000], 2, now, () => 0.999_999)!.getTime() - now.getTime()).toBe(360_000);
    expect(nextAttemptAt([5_000, 300_000], 3, now)).toBeNull();
  });

  it('billing.yaml webhooks: durations parsed, limits checked with messages saying what is accepted', () => {
    expect(parseBillingYaml('webhooks:\n  retrySchedule: ["1s", "2m"]\n', 'b.yaml').webhooks.retrySchedule).toEqual([1_000, 120_000]);
    expect(() => parseBillingYaml('webhooks:\n  retrySchedule: []\n', 'b.yaml')).toThrow(/retrySchedule.*at least one delay/);
    expect(() => parseBillingYaml('webhooks:\n  concurrency: 2\n  perEndpointConcurrency: 4\n', 'b.yaml')).toThrow(
      /perEndpointConcurrency: must not be larger/,
    );
    expect(() => parseBillingYaml('webhooks:\n  requestTimeout: 1h\n', 'b.yaml')).toThrow(/requestTimeout.*"100ms" to "2m"/);
  });
});

describe('webhook endpoint input', () => {
  it('accepts http and https URLs only, without credentials', () => {
    expect(validateWebhookUrl(' https://shop.example.com/hooks ')).toEqual({ url: 'https://shop.example.com/hooks' });
    expect(validateWebhookUrl('http://localhost:3000/hooks')).toEqual({ url: 'http://localhost:3000/hooks' });
    for (const bad of ['ftp://x.example/h', 'javascript:alert(1)', 'not a url', '', 'https://u:p@x.example/', `https://x.example/${'a'.repeat(2100)}`])
      expect(validateWebhookUrl(bad), bad).toHaveProperty('problem.message', expect.stringContaining('accepted: an http:// or https:// URL'));
    // The parser reads host "hooks" out of these; the stored text would name none.
    for (const hostless of ['https:///hooks', 'http:hooks', 'https:/hooks.example/h', 'https:\\\\hooks.example/h'])
      expect(validateWebhookUrl(hostless), hostless).toHaveProperty(
        'problem.message',
        expect.stringMatching(/^has no host after the scheme's "\/\/", got .*accepted: an http/),
      );
  });

  it('event types: known names, duplicates dropped; an empty list is refused (leave it out for all)', () => {
    expect(validateEventTypes(['charge.succeeded', 'charge.succeeded'])).toEqual({ eventTypes: ['charge.succeeded'] });
    expect(validateEventTypes(undefined)).toEqual({ eventTypes: null });
    expect(validateEventTypes([])).toHaveProperty('problem.message', expect.stringMatching(/at least one event type/));
    expect(validateEventTypes(['charge.nope'])).toHaveProperty('problem.message', expect.stringMatching(/"charge\.nope"; accepted: subscription\.started/));
  });

  it('signs with every secret given, each verifying on its own', () => {
    const [a, b] = ['whsec_' + Buffer.alloc(32, 1).toString('base64'), 'whsec_' + Buffer.alloc(32, 2).toString('base64')];
    const signed = signWebhook([a!, b!], 'evt_1', new Date(), '{"type":"x"}');
    expect(signed.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [a!, b!]) expect(new Webhook(secret).verify(signed.body, signed.headers)).toEqual({ type: 'x' });
  });
});
