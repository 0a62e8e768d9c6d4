// Smoke test: the built app loads, mounts, logs no errors; screenshots of the
// first screen at desktop and phone sizes, light and dark.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, baseUrl, subpathUrl, collectErrors, screenshot } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 812 },
];

test('app mounts at / without console or page errors', async () => {
  const { page } = browser;
  const errors = collectErrors(page);
  const response = await page.goto(baseUrl);
  assert.equal(response?.status(), 200);
  await page.locator('#app-root').waitFor({ timeout: 30_000 });
  assert.equal(await page.title(), 'Idempotent Producer Lab');

  for (const { name, width, height } of VIEWPORTS) {
    await page.setViewportSize({ width, height });
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      // let layout and paint settle after the resize / scheme switch
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await screenshot(page, `smoke-${name}-${width}x${height}-${colorScheme}`);
    }
  }
  errors.assertNone();
});

test('app also works from a sub-path (public_url = "./")', { skip: !subpathUrl && 'E2E_SUBPATH_URL not set' }, async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(subpathUrl);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    errors.assertNone();
  } finally {
    await page.close();
  }
});
