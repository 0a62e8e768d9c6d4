// The sweep view (?view=sweep): runs a sweep in a pool of Web Workers with a progress bar,
// draws its chart, cancels, and opens the exact run behind a point in the player.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, baseUrl, collectErrors, screenshot, waitFinished } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const finished = (page) => page.waitForFunction(() => window.__sweep?.stats?.runs > 0, null, { timeout: 120_000 });

test('?view=sweep runs lost-responses on the workers and charts both series; on is clean at every point', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?view=sweep&sweep=lost-responses&seeds=6&workers=2`);
    await page.waitForURL(/\/sweep\/\?view=sweep/);
    await finished(page);
    const stats = await page.evaluate(() => window.__sweep.stats);
    assert.deepEqual([stats.runs, stats.workers], [2 * 20 * 6, 2]);
    assert.equal(await page.locator('#chart svg a circle').count(), 40, 'one point per series and x');
    assert.equal(await page.locator('#legend span').count(), 2);
    assert.match(await page.locator('#status').textContent(), /240 runs in [\d.]+ s on 2 workers/);
    assert.match(await page.locator('#question').textContent(), /lost responses/);
    // The numbers: idempotence on has no duplicate anywhere; off has some at the higher rates.
    await page.locator('#table-box summary').click();
    const rows = await page.$$eval('#table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.equal(rows.length, 40);
    assert.ok(rows.filter((r) => r[0] === 'idempotence on').every((r) => r[3] === '0'), 'on: 0 duplicates');
    assert.ok(rows.filter((r) => r[0] === 'idempotence off').slice(-5).every((r) => Number(r[3]) > 0), 'off: duplicates');
    assert.match(page.url(), /measure=duplicates_written/);
    // The log scale redraws the same points.
    await page.locator('#log-scale').check();
    assert.match(page.url(), /log=1/);
    assert.equal(await page.locator('#chart svg a circle').count(), 40);
    await screenshot(page, 'sweep-lost-responses');
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('the player links to the sweep view', async () => {
  const page = await browser.context.newPage();
  try {
    await page.goto(`${baseUrl}?scenario=lost-ack&autoplay=0`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    await page.locator('#sweeps-link').click();
    await page.waitForURL(/\/sweep\/\?view=sweep/);
    await page.locator('#sweep-preset option').first().waitFor({ state: 'attached' });
  } finally {
    await page.close();
  }
});

test('a point opens its exact run in the player, which shows the same duplicates', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}sweep/?sweep=lost-responses&seeds=4&workers=2`);
    await finished(page);
    // The last point of "idempotence off": x = 0.095.
    const link = page.locator('#chart svg a[data-series="0"]').last();
    const point = Number(await link.getAttribute('data-point'));
    const href = await link.getAttribute('href');
    const seed = Number((await link.getAttribute('aria-label')).match(/open seed (\d+)/)[1]);
    const expected = await page.evaluate(([p, k]) => window.__sweep.measures[p * 4 + k].duplicates_written, [point, seed]);
    assert.ok(expected > 0, 'the point links to a run with duplicates');
    await link.click();
    await page.waitForURL((u) => u.search.includes('scenario='));
    assert.ok(href.startsWith('../?scenario='));
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    await page.locator('#speed').selectOption('16');
    if (/Play/.test(await page.locator('#play').textContent())) await page.locator('#play').click();
    await waitFinished(page);
    assert.equal(Number(await page.locator('#counter-duplicates-written').textContent()), expected);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('cancel stops the workers; a bad sweep name or measure is a notice, not a crash', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}sweep/?sweep=no-such&measure=speed&seeds=2000&workers=1`);
    await page.locator('#notice.shown').waitFor();
    assert.match(await page.locator('#notice').textContent(), /Unknown sweep “no-such”/);
    await page.waitForFunction(() => document.querySelector('#progress').value > 0, null, { timeout: 60_000 });
    await page.locator('#cancel').click();
    assert.match(await page.locator('#status').textContent(), /^Cancelled at/);
    assert.equal(await page.locator('#run').isDisabled(), false);
    const at = await page.locator('#progress').evaluate((p) => p.value);
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#progress').evaluate((p) => p.value), at, 'nothing runs after cancel');
    assert.equal(await page.evaluate(() => window.__sweep), undefined);
    errors.assertNone();
  } finally {
    await page.close();
  }
});
