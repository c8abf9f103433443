// Screenshots of the sample storefront (examples/storefront) for README and docs, taken from a
// running `npm run dev` stack by a real checkout: the plans, the checkout page with the Amazon Pay
// button, the simulator's buyer page and the return page with the subscription the daemon started.
// Not part of the test suite (test/integration/storefront-browser.test.ts checks the same path).
//
//   npx tsx scripts/screenshot-storefront.ts [--storefront http://127.0.0.1:8790] [--out docs/images]
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CommandLineError, parseCommandLine } from '../config/command-line.js';
import { ensureChromium } from './ensure-chromium.js';

const USAGE = 'usage: npx tsx scripts/screenshot-storefront.ts [--storefront URL] [--out DIR]';

function commandLine() {
  try {
    return parseCommandLine({
      options: {
        storefront: { type: 'string', default: 'http://127.0.0.1:8790' },
        out: { type: 'string', default: 'docs/images' },
      },
    });
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    console.error(`screenshot-storefront: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
}

const { values } = commandLine();
const storefront = values.storefront;
const out = resolve(values.out);
await mkdir(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: await ensureChromium({ onProgress: (line) => console.log(`[chromium] ${line}`) }),
  args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  page.setDefaultTimeout(30_000);
  const shoot = async (file: string, p: Page = page) => {
    await p.screenshot({ path: join(out, file), fullPage: true });
    console.log(`saved ${join(out, file)}`);
  };

  await page.goto(storefront);
  await shoot('storefront-plans.png');
  await page.locator('#plan-coffee-monthly').getByRole('button', { name: 'Subscribe' }).click();
  await page.getByRole('button', { name: 'Amazon Pay' }).waitFor();
  await shoot('storefront-checkout.png');
  await page.getByRole('button', { name: 'Amazon Pay' }).click();
  await page.waitForURL(/\/checkout\/processing\?/);
  await page.getByLabel('Visa ****1111').check();
  await page.getByLabel(/Yes: save it/).check();
  await shoot('storefront-buyer-page.png');
  await page.getByRole('button', { name: 'Pay now' }).click();
  await page.waitForURL(`${storefront}/return?**`);
  await page.locator('#next-billing time').waitFor();
  await shoot('storefront-subscribed.png');
} finally {
  await browser.close();
}
