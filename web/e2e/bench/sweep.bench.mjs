// The sweep view's speed, for `cargo xtask bench` (not part of the e2e suite: it measures, it
// asserts nothing about time). Runs the lost-responses preset (2 series × 20 x values × 200
// seeds × 1,000 messages) in headless Chromium with 1 and then 2 workers and prints one JSON
// line per run, next to the native CLI's numbers that xtask prints.

import { test, before, after } from 'node:test';
import { launchBrowser, baseUrl } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('sweep view: lost-responses with 1 and 2 workers', async () => {
  const page = await browser.context.newPage();
  try {
    const results = [];
    for (const workers of [1, 2]) {
      await page.goto(`${baseUrl}sweep/?sweep=lost-responses&workers=${workers}`);
      await page.waitForFunction(() => window.__sweep?.stats?.runs > 0, null, { timeout: 600_000 });
      results.push(await page.evaluate(() => window.__sweep.stats));
    }
    for (const r of results) {
      console.log(JSON.stringify({ bench: 'sweep-view', sweep: 'lost-responses', workers: r.workers, runs: r.runs, seconds: Number((r.ms / 1000).toFixed(2)) }));
    }
    console.log(JSON.stringify({ bench: 'sweep-view', speed_up_2_over_1: Number((results[0].ms / results[1].ms).toFixed(2)) }));
  } finally {
    await page.close();
  }
});
