// Interventions, compare mode and the configuration panel, end to end.
//  - Drop a response by clicking it on the stage; the URL records it; reloading the copied link
//    replays to the same final log.
//  - Crash a broker from its action bar: it is greyed on the stage.
//  - Compare mode with lost-ack: only the "off" side shows duplicates; a one-line summary.
//  - Config panel: an invalid combination shows Kafka's ConfigException instead of running.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, baseUrl, collectErrors, screenshot, waitFinished, eventLogRows } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});


const logOf = (page) =>
  page.$$eval('[data-testid="log-entry"]', (els) =>
    els.map((e) => `${e.dataset.offset}:${e.dataset.message}:${e.dataset.duplicate}`),
  );

test('drop a response by clicking it; the copied link replays the same run', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=happy-path&speed=1`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    // Catch the first response on the wire, pause, and click it.
    await page.locator('#stage .msg-response.clickable').first().waitFor({ timeout: 30_000 });
    await page.locator('#play').click();
    await page.locator('#stage .msg-response.clickable').first().click();
    await page.locator('#drop-message').waitFor();
    assert.match(await page.locator('#actions').textContent(), /response/);
    await screenshot(page, 'interventions-message-selected');
    await page.locator('#drop-message').click();
    await page.waitForFunction(() => location.search.includes('faults='));
    assert.match(await page.locator('#intervention-count').textContent(), /1 intervention/);
    const link = await page.locator('#share-link').inputValue();
    assert.ok(link.startsWith(baseUrl), link);
    // paused mid-run: the link holds the moment shown
    assert.match(link, /&t=\d+&autoplay=0/);
    const statusAtDrop = await page.locator('#status').textContent();
    assert.match(decodeURIComponent(link), /"response":\{"producer":0,"partition":0,"batch":\d+,"attempt":1\}/);
    // Play the rest at top speed.
    await page.locator('#speed').selectOption('16');
    await page.locator('#play').click();
    await waitFinished(page);
    const first = await logOf(page);
    const retries = Number(await page.locator('#counter-retries').textContent());
    assert.ok(retries > 0, 'the lost response made the producer retry');
    assert.equal(Number(await page.locator('#counter-duplicates-prevented').textContent()), 1);
    assert.equal(Number(await page.locator('#counter-duplicates-written').textContent()), 0);
    assert.ok(
      (await eventLogRows(page, 'is lost')) >= 1,
      'the event log shows the lost response',
    );

    // Reload from the copied link: the same paused moment, then the same final log.
    await page.goto(link);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#status').textContent(), statusAtDrop);
    await page.locator('#play').click();
    await waitFinished(page);
    assert.deepEqual(await logOf(page), first);
    assert.equal(Number(await page.locator('#counter-retries').textContent()), retries);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('crash a broker from its action bar; it is greyed on the stage and in the URL', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=failover-replicated&autoplay=0`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    assert.match(await page.locator('#status').textContent(), /paused/);
    for (let i = 0; i < 12; i++) await page.locator('#step-forward').click();
    // keyboard: focus broker 2 on the stage and open its actions with Enter
    await page.locator('#stage .broker[data-broker="2"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('#stop-broker-2').click();
    await page.locator('#stage .broker.down[data-broker="2"]').waitFor();
    assert.match(decodeURIComponent(page.url()), /"crash_broker","broker":2,"clean":true/);
    // and the producer can be restarted
    await page.locator('#stage .producer[data-producer="0"]').click();
    await page.locator('#restart-producer-0').click();
    await page.waitForFunction(() => decodeURIComponent(location.search).includes('restart_producer'));
    await screenshot(page, 'interventions-broker-stopped');
    await page.locator('#clear-interventions').click();
    await page.waitForFunction(() => !location.search.includes('faults='));
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('compare mode: lost-ack off vs on, only the off side shows duplicates', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=lost-ack&compare=1&speed=16`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.lane').count(), 2);
    await waitFinished(page);
    assert.equal(Number(await page.locator('#off-counter-duplicates-written').textContent()), 5);
    assert.equal(Number(await page.locator('#on-counter-duplicates-written').textContent()), 0);
    assert.equal(Number(await page.locator('#on-counter-duplicates-prevented').textContent()), 1);
    assert.equal(await page.locator('.lane-details[data-lane="off"] [data-duplicate="true"]').count(), 5);
    assert.equal(await page.locator('.lane-details[data-lane="on"] [data-duplicate="true"]').count(), 0);
    // each lane's consumer receives what its log holds: the off side gets 5 values twice
    assert.equal(await page.locator('.lane-details[data-lane="off"] .consumers [data-repeat="true"]').count(), 5);
    assert.equal(await page.locator('.lane-details[data-lane="on"] .consumers [data-repeat="true"]').count(), 0);
    assert.match(await page.locator('#compare-summary').textContent(), /off: 5 duplicates, 0 reorderings; on: none/);
    await screenshot(page, 'compare-lost-ack-desktop');
    await page.setViewportSize({ width: 375, height: 812 });
    await screenshot(page, 'compare-lost-ack-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    // the toggle turns it off again
    await page.locator('#compare-toggle').uncheck();
    await page.waitForFunction(() => !location.search.includes('compare=1'));
    assert.equal(await page.locator('.lane').count(), 0);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

/** Opens a preset, paused, with the configuration panel open. */
async function openConfigPanel(page, scenario) {
  await page.goto(`${baseUrl}?scenario=${scenario}&autoplay=0`);
  await page.locator('#app-root').waitFor({ timeout: 30_000 });
  await page.locator('#config-panel summary').click();
}

/** Types a value into a configuration field and waits until the URL holds it. */
async function setConfigField(page, key, value) {
  const input = page.locator(`#cfg-${key}`);
  await input.fill(value);
  await input.press('Enter');
  await input.blur();
  await page.waitForFunction((want) => location.search.includes(want), `${key}=${value}`);
}

test('config panel: a combination Kafka refuses shows its ConfigException; the URL keeps it', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await openConfigPanel(page, 'lost-ack');
    await page.locator('#cfg-idempotence').selectOption('on');
    await page.locator('#cfg-acks').selectOption('1');
    await page.locator('#run-error').waitFor();
    const text = await page.locator('#run-error').textContent();
    assert.match(text, /ConfigException/);
    assert.match(text, /acks/);
    assert.match(page.url(), /idempotence=on/);
    assert.match(page.url(), /acks=1/);
    await screenshot(page, 'config-exception');
    // a valid change runs again and stays in the URL
    await page.locator('#cfg-acks').selectOption('all');
    await setConfigField(page, 'max_in_flight', '2');
    assert.equal(await page.locator('#run-error').count(), 0);
    await page.locator('#cfg-reset').click();
    await page.waitForFunction(() => !location.search.includes('max_in_flight'));
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('config panel: the client release is a setting; a 3.0.0 client writes the lost ack twice', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await openConfigPanel(page, 'lost-ack');
    assert.equal(await page.locator('#cfg-client_version').inputValue(), '3.9', 'the default release');
    assert.equal(await page.locator('#cfg-broker_version').inputValue(), '3.9');
    await setConfigField(page, 'client_version', '3.0');
    assert.equal(await page.locator('#run-error').count(), 0);
    // The switch says why idempotence is off, in the core's words.
    await page.locator('#idempotence-implicit').waitFor();
    assert.match(await page.locator('#idempotence-implicit').textContent(), /KAFKA-13598/);
    await page.locator('#play').click();
    await waitFinished(page);
    await screenshot(page, 'client-3-0-lost-ack');
    assert.equal(Number(await page.locator('#counter-duplicates-written').textContent()), 5);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('refuse a batch by clicking its request: it fails to the application with INVALID_RECORD', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=happy-path&speed=1`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    // Catch a produce request on the wire, pause, and click it.
    await page.locator('#stage .msg-produce.clickable').first().waitFor({ timeout: 30_000 });
    await page.locator('#play').click();
    await page.locator('#stage .msg-produce.clickable').first().click();
    await page.locator('#refuse-batch').waitFor();
    await page.locator('#refuse-batch').click();
    await page.waitForFunction(() => location.search.includes('faults='));
    const link = await page.locator('#share-link').inputValue();
    assert.match(decodeURIComponent(link), /"type":"reject_batch","error":"INVALID_RECORD"/);
    await page.locator('#speed').selectOption('16');
    await page.locator('#play').click();
    await waitFinished(page);
    assert.ok((await eventLogRows(page, 'failed for good (INVALID_RECORD)')) >= 1, 'the event log names the error');
    assert.equal(Number(await page.locator('#counter-duplicates-written').textContent()), 0);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('a batch too large is split by the client: nothing fails and nothing is written twice', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    // Brokers 4.5: on this fresh partition, older brokers would take the batches behind the
    // refused first one from an unknown producer at any sequence (KAFKA-15591), and the halves
    // would then wait out of order.
    await page.goto(`${baseUrl}?scenario=happy-path&broker_version=4.5&speed=1`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    await page.locator('#stage .msg-produce.clickable').first().waitFor({ timeout: 30_000 });
    await page.locator('#play').click();
    await page.locator('#stage .msg-produce.clickable').first().click();
    await page.locator('#too-large').waitFor();
    await page.locator('#too-large').click();
    await page.waitForFunction(() => location.search.includes('faults='));
    const link = await page.locator('#share-link').inputValue();
    assert.match(decodeURIComponent(link), /"type":"reject_batch","error":"MESSAGE_TOO_LARGE"/);
    await page.locator('#speed').selectOption('16');
    await page.locator('#play').click();
    await waitFinished(page);
    assert.ok((await eventLogRows(page, 'split into')) >= 1, 'the event log tells the split');
    assert.equal(await eventLogRows(page, 'failed for good'), 0);
    assert.equal(Number(await page.locator('#counter-duplicates-written').textContent()), 0);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('config panel: compare the same run on other releases; the late transactional batch is fenced on transactions v2', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await openConfigPanel(page, 'late-transactional-batch');
    await page.locator('#cfg-vs_client_version').fill('4.0');
    await page.locator('#cfg-vs_broker_version').fill('4.0');
    await page.locator('#cfg-compare-releases').click();
    await page.waitForFunction(() => location.search.includes('vs_broker_version=4.0'));
    await page.locator('[data-lane="b"]').first().waitFor();
    assert.match(await page.locator('[data-lane="a"] .lane-title').first().textContent(), /brokers 3\.5 · transactions v1/);
    assert.match(await page.locator('[data-lane="b"] .lane-title').first().textContent(), /client 4\.0 · brokers 4\.0 · transactions v2/);
    await page.locator('#speed').selectOption('16');
    await page.locator('#play').click();
    await waitFinished(page);
    const summary = await page.locator('#compare-summary').textContent();
    assert.match(summary, /brokers 3\.5 · transactions v1: 1 duplicate/);
    assert.match(summary, /transactions v2: none/);
    assert.equal(Number(await page.locator('#b-counter-duplicates-written').textContent()), 0);
    // The link holds the comparison; emptying both releases ends it.
    const link = await page.locator('#share-link').inputValue();
    assert.match(link, /vs_client_version=4\.0&vs_broker_version=4\.0/);
    await page.locator('#stop-compare').click();
    await page.waitForFunction(() => !location.search.includes('vs_'));
    assert.equal(await page.locator('[data-lane="b"]').count(), 0);
    errors.assertNone();
  } finally {
    await page.close();
  }
});
