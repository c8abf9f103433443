// The billing dashboard in a real Chromium against a real run: a daemon billing subscriptions on
// the test Temporal server (captured cycles, one left unpaid after dunning, one waiting for the
// buyer's payment method), the page opened with a read-only API key, every chart drawn with data,
// and every "need a person" link opened in the test server's Temporal Web UI.
// DASHBOARD_SCREENSHOT=<file.png> saves the page (docs/images/dashboard.png comes from this run).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Daemon } from '../../daemon/run.js';
import { eventually } from '../support/billing-harness.js';
import { BROWSER_SETUP_TIMEOUT_MS, launchChromium } from '../support/browser.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { shortSpec } from '../support/subscriptions.js';
import { newKey } from './api-support.js';
import { connectTestTemporal, launcher, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

describe('the billing dashboard in Chromium', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  let browser: Browser;
  const taskQueues = uniqueTaskQueues();

  beforeAll(async () => {
    [database, temporal, browser] = await Promise.all([createTestDatabase(), connectTestTemporal(), launchChromium()]);
    sim = await startTestSimulator();
    daemon = await startTestDaemon({
      database,
      taskQueues,
      amazonPay: sim.amazonPay,
      signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
      webUiUrl: inject('temporalUiUrl'),
    });
    const launch = launcher(database, temporal, taskQueues);
    const permission = async (mode?: string) => {
      const cp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
      if (mode) await sim.control.setScript(cp, { mode: mode as never });
      return cp;
    };
    // Paid every 2 s for four cycles; another every 3 s; one declined softly until unpaid; one hard-declined.
    await launch(shortSpec('dash-paid-1', await permission(), { seconds: 2, cycles: 4 }));
    await launch(shortSpec('dash-paid-2', await permission(), { seconds: 3, cycles: 3, amountMinor: '2500' }));
    await launch(shortSpec('dash-unpaid', await permission('SoftDeclined'), { seconds: 3600 }));
    await launch(shortSpec('dash-card', await permission('HardDeclined'), { seconds: 3600 }));
    // Billed every 2 hours from an hour from now: the forecast's week holds its 84 charges.
    await launch(shortSpec('dash-later', await permission(), { seconds: 7200, firstInSeconds: 3600 }));
    await eventually(
      async () => (await database.sql`select id, status from subscriptions order by id`).map((r) => `${r.id}:${r.status}`).join(' '),
      (s) => s === 'dash-card:payment_method_required dash-later:active dash-paid-1:ended dash-paid-2:ended dash-unpaid:unpaid',
      { timeoutMs: 90_000, what: 'the run to settle' },
    );
  }, BROWSER_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await daemon?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('draws every chart with data, lists who needs a person, and each link opens that workflow in the Web UI', async () => {
    const key = await newKey(database.db, 'dashboard', true);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
    // Every request the page makes is answered, the favicon included; only the refused key's is not.
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${new URL(response.url()).pathname}`);
    });
    await page.goto(`${daemon.apiUrl}/dashboard`);
    // Without a key only the form shows: no empty panels under it, and none after a refused key.
    await page.waitForSelector('#login', { state: 'visible' });
    expect(await page.isVisible('#board'), 'the board before any key').toBe(false);
    await page.fill('#key', 'bk_notakey');
    await page.click('#login button[type=submit]');
    await page.locator('#error', { hasText: 'That API key was refused.' }).waitFor();
    expect(await page.isVisible('#board'), 'the board after a refused key').toBe(false);
    await page.fill('#key', key);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });

    for (const chart of ['statuses', 'outcomes', 'lag', 'forecast']) {
      // Its first dataset (statuses, captured, average lag, charges due) has a value above zero.
      const first = await page.evaluate((id) => {
        const chartJs = (globalThis as unknown as { Chart: { getChart(id: string): { data: { datasets: Array<{ data: number[] }> } } } }).Chart;
        return chartJs.getChart(id).data.datasets[0]!.data;
      }, chart);
      expect(Math.max(...first), `${chart} has data`).toBeGreaterThan(0);
      // Chart.js drew on the canvas: some pixel is not blank.
      const drawn = await page.$eval(`#${chart}`, (canvas) => {
        const c = canvas as unknown as {
          width: number;
          height: number;
          getContext(t: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
        };
        return c
          .getContext('2d')
          .getImageData(0, 0, c.width, c.height)
          .data.some((v) => v !== 0);
      });
      expect(drawn, `${chart} is drawn`).toBe(true);
    }
    // The history charts keep every hour of the last 48 (hours without charges too), labelled in UTC.
    for (const chart of ['outcomes', 'lag']) {
      const axis = await page.evaluate((id) => {
        const chartJs = (
          globalThis as unknown as { Chart: { getChart(id: string): { data: { labels: string[] }; options: { scales: { x: { title: { text: string } } } } } } }
        ).Chart;
        const c = chartJs.getChart(id);
        return { hours: c.data.labels.length, title: c.options.scales.x.title.text };
      }, chart);
      expect(axis, chart).toEqual({ hours: 48, title: 'hour (UTC)' });
    }
    const money = await page.$$eval('#money tbody tr', (rows) => rows.map((r) => (r as unknown as { innerText: string }).innerText));
    // 4 × 14.00 + 3 × 25.00 captured today, on sandbox subscriptions: shown apart from live revenue.
    expect(money.join('\n')).toMatch(/^USD \(sandbox\)\t131\.00 USD\t131\.00 USD\t0\.00 USD/m);
    expect(money.join('\n')).not.toMatch(/^USD\t/m);
    const attention = await page.$$eval('#attention tbody tr', (rows) =>
      rows.map((r) => {
        const link = r.querySelector('a') as unknown as { textContent: string; href: string } | null;
        return { id: link?.textContent ?? '', href: link?.href ?? '', text: (r as unknown as { innerText: string }).innerText };
      }),
    );
    expect(attention.map((a) => a.id).sort()).toEqual(['dash-card', 'dash-unpaid']);
    expect(attention.find((a) => a.id === 'dash-unpaid')?.text).toMatch(/unpaid\tDunningExhausted:SoftDeclined/);
    // The forecast says which limit it runs at: a few paid cycles are no peak, so the quota alone.
    expect(await page.textContent('#forecast-limit')).toMatch(
      /^Limit: the quota, [\d.]+\/s; no peak in the ledger's last 35 days measured the daemon's own throughput\.$/,
    );
    if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });

    for (const { id, href } of attention) {
      expect(href).toBe(`${inject('temporalUiUrl')}/namespaces/default/workflows/subscription-${id}`);
      const ui = await browser.newPage();
      await ui.goto(href);
      // The Web UI's workflow page names the workflow it shows.
      await ui.waitForSelector(`text=subscription-${id}`, { timeout: 30_000 });
      await ui.close();
    }
    expect(failed, 'failed requests').toEqual(['401 /v1/dashboard']);
    // Headless Chromium may not ask for the icon: fetch the one the page names.
    const icon = await page.evaluate(async () => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): { href: string } | null } }).document;
      const href = doc.querySelector('link[rel=icon]')?.href;
      if (!href) return null;
      const response = await fetch(href);
      return `${response.status} ${response.headers.get('content-type') ?? ''}`;
    });
    expect(icon).toBe('200 image/svg+xml');
    await page.close();
  });
});
