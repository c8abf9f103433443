// Screenshots of the Temporal Web UI for docs/cli.md, taken from a running `npm run dev` stack
// after `npx billing demo`. Not part of the test suite.
//
//   npx tsx scripts/screenshot-web-ui.ts --prefix demo-092005 [--ui http://127.0.0.1:8233] [--out docs/images]
//
// Uses Debian's chromium (installed by scripts/ensure-chromium.ts when missing) or --chromium PATH, with playwright-core.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CommandLineError, parseCommandLine } from '../config/command-line.js';
import { ensureChromium } from './ensure-chromium.js';

const USAGE =
  'usage: npx tsx scripts/screenshot-web-ui.ts --prefix <demo prefix, e.g. demo-092005> [--ui URL] [--namespace NAME] [--out DIR] [--chromium PATH]';

function commandLine() {
  try {
    return parseCommandLine({
      options: {
        prefix: { type: 'string' },
        ui: { type: 'string', default: 'http://127.0.0.1:8233' },
        namespace: { type: 'string', default: 'default' },
        out: { type: 'string', default: 'docs/images' },
        chromium: { type: 'string' },
      },
    });
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    console.error(`screenshot-web-ui: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
}

const { values } = commandLine();
if (!values.prefix) {
  console.error(`screenshot-web-ui: --prefix is required\n${USAGE}`);
  process.exit(2);
}
const prefix = values.prefix;
const base = `${values.ui}/namespaces/${encodeURIComponent(values.namespace)}`;
const out = resolve(values.out);
await mkdir(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: values.chromium ?? (await ensureChromium({ onProgress: (line) => console.log(`[chromium] ${line}`) })),
  args: [
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    '--headless',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });

  // The workflow list is filled in by client-side requests: wait until a row with our prefix shows.
  async function shootList(file: string, query: string, expectText: string): Promise<void> {
    await page.goto(`${base}/workflows?query=${encodeURIComponent(query)}`);
    await page.getByText(expectText).first().waitFor({ timeout: 30_000 });
    await settle(page);
    await page.screenshot({ path: join(out, file) });
    console.log(`saved ${join(out, file)}`);
  }

  await shootList('web-ui-demo-workflows.png', `WorkflowId STARTS_WITH "subscription-${prefix}"`, `subscription-${prefix}`);
  await shootList('web-ui-billing-status-query.png', `WorkflowId STARTS_WITH "subscription-${prefix}" AND BillingStatus="active"`, `subscription-${prefix}`);

  await page.goto(`${base}/workflows/${encodeURIComponent(`subscription-${prefix}-soft`)}`);
  await page.getByText('14.00 USD every minute').first().waitFor({ timeout: 30_000 });
  await settle(page);
  await page.screenshot({ path: join(out, 'web-ui-subscription-workflow.png') });
  console.log(`saved ${join(out, 'web-ui-subscription-workflow.png')}`);
} finally {
  await browser.close();
}

/** Lets late list requests and animations finish: network idle, bounded. */
async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => {});
}
