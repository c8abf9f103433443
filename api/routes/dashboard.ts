// The billing dashboard: GET /v1/dashboard (data, behind an API key; read-only keys suffice) and
// the page that draws it, GET /dashboard (static: no data without a key), with Chart.js.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { describeChargeRate } from '../../billing/capacity.js';
import { dashboardData, type DashboardOptions, type ForecastSettings } from '../../client/dashboard/data.js';
import { isLatePeak, minPeakLatenessFor, type BillingForecast } from '../../client/subscriptions/forecast.js';
import { DEFAULT_FORECAST_WARN_AFTER_MS } from '../../config/billing.js';
import type { Database } from '../../db/client.js';
import { problemResponses } from '../problems.js';
import { DashboardQuery, DashboardSchema } from '../schemas/dashboard.js';

export interface DashboardSettings {
  /**
   * The forecast's quota (temporal.yaml rateLimits.createChargePerSecond), billing.yaml forecast
   * capacity settings, and forecast.warnAfter (ms; default 30 minutes): a peak with a charge
   * later than that is marked late, as `billing forecast` warns about it (and a busy period is a
   * peak from a minute's lateness, or from warnAfter when that is less).
   */
  forecast: ForecastSettings & { warnAfterMs?: number };
  /** Where workflow links point; null: no links. */
  temporalUi: DashboardOptions['temporalUi'];
}

export const dashboardDataRoutes: FastifyPluginAsyncZod<{ db: Database; now: () => Date; settings: DashboardSettings }> = async (
  app,
  { db, now, settings },
) => {
  app.get('/v1/dashboard', {
    schema: {
      operationId: 'getDashboard',
      tags: ['operations'],
      summary: 'Billing at a glance: subscriptions by status, the ones needing a person, money, outcomes, lag, the billing forecast, backlogs',
      querystring: DashboardQuery,
      response: { 200: DashboardSchema, ...problemResponses(400, 401, 503) },
    },
    handler: async () => {
      const warnAfterMs = settings.forecast.warnAfterMs ?? DEFAULT_FORECAST_WARN_AFTER_MS;
      const forecast = { ...settings.forecast, minPeakLatenessSeconds: minPeakLatenessFor(warnAfterMs) };
      const d = await dashboardData(db, { now: now(), forecast, temporalUi: settings.temporalUi });
      const iso = (date: Date | null) => (date === null ? null : date.toISOString());
      return {
        ...d,
        forecast: {
          from: d.forecast.from.toISOString(),
          until: d.forecast.until.toISOString(),
          ratePerSecond: d.forecast.ratePerSecond,
          limit: chargeRateView(d.forecast.rate),
          totalDue: d.forecast.totalDue,
          minPeakLatenessSeconds: d.forecast.minPeakLatenessSeconds,
          warnAfterSeconds: warnAfterMs / 1000,
          hours: d.forecast.hours.map((h) => ({ ...h, hourStart: h.hourStart.toISOString(), lastChargeSentAt: iso(h.lastChargeSentAt) })),
          peaks: d.forecast.peaks.map((p) => ({
            ...p,
            startsAt: p.startsAt.toISOString(),
            finishesAt: p.finishesAt.toISOString(),
            lastDueAt: p.lastDueAt.toISOString(),
            late: isLatePeak(p, warnAfterMs),
          })),
        },
      };
    },
  });
};

/** The forecast's rate for JSON: instants as ISO strings, and the sentence the page shows. */
function chargeRateView(rate: BillingForecast['rate']) {
  const { evidence, evidenceWindow } = rate;
  return {
    ratePerSecond: rate.ratePerSecond,
    quotaPerSecond: rate.quotaPerSecond,
    quotaShareSent: rate.quotaShareSent,
    wakeUpSeconds: rate.wakeUpSeconds,
    capacityPerSecond: rate.capacityPerSecond,
    capacitySource: rate.capacitySource,
    limitedBy: rate.limitedBy,
    evidence: evidence && { ...evidence, startsAt: evidence.startsAt.toISOString(), endsAt: evidence.endsAt.toISOString() },
    evidenceWindow: { from: evidenceWindow.from.toISOString(), until: evidenceWindow.until.toISOString() },
    summary: describeChargeRate(rate),
  };
}

const here = dirname(new URL(import.meta.url).pathname);
const chartJsPath = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');

/**
 * The Content-Security-Policy of the dashboard's page and scripts (docs/operations.md quotes it):
 * scripts, data and everything else only from the daemon itself (Chart.js is served here, no CDN);
 * styles also inline (the page's own <style> block); the page may not be shown in a frame.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

/** GET /dashboard, /dashboard/app.js, /dashboard/chart.umd.js and /dashboard/favicon.svg: the page, no data (it asks for a key). */
export function registerDashboardPage(app: FastifyInstance): void {
  const files: Record<string, { type: string; body: string }> = {
    '/dashboard': { type: 'text/html; charset=utf-8', body: readFileSync(join(here, '../dashboard/page.html'), 'utf8') },
    '/dashboard/app.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(here, '../dashboard/app.js'), 'utf8') },
    '/dashboard/chart.umd.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(chartJsPath, 'utf8') },
    // Named by the page's <link rel="icon">: without it a browser asks for /favicon.ico and gets a 404.
    '/dashboard/favicon.svg': { type: 'image/svg+xml', body: readFileSync(join(here, '../dashboard/favicon.svg'), 'utf8') },
  };
  for (const [path, file] of Object.entries(files)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(file.type).header('cache-control', 'no-cache').header('content-security-policy', DASHBOARD_CONTENT_SECURITY_POLICY).send(file.body),
    );
  }
}
