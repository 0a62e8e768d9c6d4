// The lab end to end: lost-ack plays to the end with no duplicate in the log; with
// idempotence switched off the same fault writes one batch of 5 records twice.
// Screenshots at desktop and phone sizes, light and dark.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, baseUrl, collectErrors, waitFinished, screenshotMatrix, eventLogRows } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});


async function logSummary(page) {
  return page.$$eval('[data-testid="log-entry"]', (els) =>
    els.map((e) => ({ offset: Number(e.dataset.offset), message: e.dataset.message, duplicate: e.dataset.duplicate })),
  );
}

const counter = (page, id) => page.locator(`#counter-${id}`).textContent().then(Number);



test('lost-ack: idempotence on writes each message once; off writes 5 duplicates', async () => {
  const { page } = browser;
  const errors = collectErrors(page);
  await page.goto(`${baseUrl}?speed=16`);
  await page.locator('#app-root').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#preset').inputValue(), 'lost-ack');
  assert.equal(await page.locator('#idempotence-toggle').isChecked(), true);

  await waitFinished(page);
  let log = await logSummary(page);
  assert.equal(log.length, 10);
  assert.deepEqual(log.map((e) => e.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(log.filter((e) => e.duplicate === 'true').length, 0);
  assert.equal(await counter(page, 'duplicates-written'), 0);
  assert.equal(await counter(page, 'duplicates-prevented'), 1);
  assert.equal(await counter(page, 'retries'), 2);
  assert.equal(await counter(page, 'acked'), 10);
  assert.match(await page.locator('#verdict').textContent(), /appended at offsets 5–9/);
  assert.ok((await eventLogRows(page, 'duplicate of offsets 0–4')) >= 1);
  assert.equal(await page.locator('.invariant.broken').count(), 0);
  await screenshotMatrix(page, 'app-lost-ack-finished', { viewport: true, sizeInName: true });

  // Switch idempotence off: the run restarts and plays on its own.
  await page.locator('#idempotence-toggle').click({ force: true });
  assert.equal(await page.locator('#idempotence-toggle').isChecked(), false);
  assert.match(page.url(), /idempotence=off/);
  assert.match(await page.locator('#caption').textContent(), /You switched enable.idempotence to false/);
  await waitFinished(page);
  log = await logSummary(page);
  assert.equal(log.length, 15);
  const dups = log.filter((e) => e.duplicate === 'true');
  assert.equal(dups.length, 5);
  assert.deepEqual(dups.map((e) => e.message), ['p0-m0', 'p0-m1', 'p0-m2', 'p0-m3', 'p0-m4']);
  assert.equal(await counter(page, 'duplicates-written'), 5);
  assert.equal(await counter(page, 'duplicates-prevented'), 0);
  assert.ok((await page.locator('.invariant.broken').count()) >= 1, 'a no-duplicates invariant is violated');
  await screenshotMatrix(page, 'app-lost-ack-idempotence-off', { viewport: true, sizeInName: true });
  errors.assertNone();
});

test('mid-run at 1x: a message on the wire, play/pause and step controls', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=lost-ack`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    // pause as soon as the first response is on its way (it is doomed: the fault drops it)
    await page.locator('.msg-response').first().waitFor({ timeout: 30_000 });
    await page.locator('#play').click();
    assert.match(await page.locator('#status').textContent(), /paused/);
    await screenshotMatrix(page, 'app-lost-ack-midrun', { viewport: true, sizeInName: true });
    // Steps move the run one event at a time: the status and the newest row of the log follow.
    const eventNo = () => Number(document.querySelector('#status').textContent.match(/event (\d+)/)[1]);
    const before = await page.evaluate(eventNo);
    const newest = () => page.locator('#event-list li').first().textContent();
    const newestBefore = await newest();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((n) => Number(document.querySelector('#status').textContent.match(/event (\d+)/)[1]) > n, before);
    assert.notEqual(await newest(), newestBefore);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((n) => Number(document.querySelector('#status').textContent.match(/event (\d+)/)[1]) === n, before);
    assert.equal(await newest(), newestBefore);
    await page.keyboard.press('?');
    await page.locator('[role="dialog"]').waitFor();
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('[role="dialog"]').count(), 0);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('bad URL parameters show an in-page notice, not a crash', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=nope&seed=abc&speed=99`);
    await page.locator('#url-errors').waitFor({ timeout: 30_000 });
    const text = await page.locator('#url-errors').textContent();
    assert.match(text, /Unknown scenario “nope”/);
    assert.match(text, /seed must be a whole number/);
    assert.match(text, /speed must be a number/);
    assert.equal(await page.locator('#preset').inputValue(), 'lost-ack');
    errors.assertNone();
  } finally {
    await page.close();
  }
});
