// Transactions in the lab, end to end:
//  - abort-hides-records: read_committed of p0 receives 4 values, read_uncommitted 6; ABORT and
//    COMMIT marker cells; aborted records struck; the coordinator ends in complete_commit; the
//    LSO is drawn in the log strip.
//  - zombie-fencing: producer 0 is shown fenced with PRODUCER_FENCED, in the stage, the
//    coordinator panel and the event log.
//  - multi-partition-commit paused between PrepareCommit and the markers: the LSO sits below
//    the high watermark, read_committed waits, the coordinator lists the pending markers.
//  - restart-with-transactional-id: read_committed receives every value once while the raw log
//    (and read_uncommitted) holds duplicates.
// No console errors. Screenshots of zombie-fencing and abort-hides-records finished at 1280 and
// 375 px, light and dark.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, baseUrl, collectErrors, screenshotMatrix, eventLogRows } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function openFinished(page, id) {
  await page.goto(`${baseUrl}?scenario=${id}&speed=16`);
  await page.locator('#app-root').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#preset').inputValue(), id);
  await page.waitForFunction(() => document.querySelector('#status')?.textContent.includes('finished'), null, {
    timeout: 90_000,
  });
}

/** The values a consumer of `partition` with `isolation` receives, as drawn. */
const consumed = (page, partition, isolation) =>
  page.$$eval(
    `.consumers .consumer-partition[data-partition="${partition}"] .consumer[data-isolation="${isolation}"] [data-testid="consumed"]`,
    (els) => els.map((e) => e.dataset.value),
  );

const consumedCount = (page, partition, isolation) =>
  page
    .locator(`.consumers .consumer-partition[data-partition="${partition}"] .consumer[data-isolation="${isolation}"] .consumer-count`)
    .getAttribute('data-count')
    .then(Number);


test('abort-hides-records: read_committed skips the aborted transaction; markers; coordinator complete', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await openFinished(page, 'abort-hides-records');

    // Consumers of p0: 6 records for read_uncommitted, 4 for read_committed.
    const uncommitted = await consumed(page, 0, 'read_uncommitted');
    const committed = await consumed(page, 0, 'read_committed');
    assert.equal(uncommitted.length, 6, uncommitted.join());
    assert.equal(committed.length, 4, committed.join());
    assert.equal(await consumedCount(page, 0, 'read_uncommitted'), 6);
    assert.equal(await consumedCount(page, 0, 'read_committed'), 4);
    assert.ok(committed.every((v) => uncommitted.includes(v)));
    assert.match(await page.locator('#consumers-title').textContent(), /read_uncommitted vs read_committed/);

    // The log: ABORT and COMMIT marker cells, aborted records struck, the LSO drawn.
    const p0 = page.locator('.logs .partition-log[data-partition="0"]');
    assert.ok((await p0.locator('[data-marker="abort"]').count()) >= 1, 'an ABORT marker in p0');
    assert.ok((await p0.locator('[data-marker="commit"]').count()) >= 1, 'a COMMIT marker in p0');
    assert.equal(await p0.locator('[data-marker="abort"] .log-value').first().textContent(), 'ABORT');
    const abortedCells = await p0.locator('.log-cell.aborted').count();
    assert.equal(abortedCells, uncommitted.length - committed.length, 'the records read_committed skips are struck');
    const decoration = await p0
      .locator('.log-cell.aborted .log-value')
      .first()
      .evaluate((e) => getComputedStyle(e).textDecorationLine);
    assert.match(decoration, /line-through/);
    // Finished: nothing undecided, the LSO is at the high watermark.
    const lso = await p0.getAttribute('data-lso');
    assert.equal(lso, await p0.getAttribute('data-hw'));
    assert.equal(await p0.locator('.log-mark[data-mark="hw-lso"]').count(), 1);
    assert.match(await page.locator('.logs .legend').textContent(), /LSO last stable offset: read_committed consumers read up to here/);

    // The coordinator: one transactional id, complete_commit, nothing pending.
    const txn = page.locator('#coordinator .txn-id[data-transactional-id="orders"]');
    assert.equal(await txn.getAttribute('data-status'), 'complete_commit');
    assert.match(await txn.textContent(), /CompleteCommit/);
    assert.equal((await txn.locator('.txn-pending').textContent()).trim(), 'none');
    assert.match(await txn.locator('.txn-outcomes').textContent(), /#1 aborted/);

    // The producer box names its transactional.id; events are described in words.
    assert.match(await page.locator('#stage .producer[data-producer="0"]').textContent(), /transactional\.id orders/);
    assert.ok((await eventLogRows(page, /ABORT marker written to partition \d at offset \d+/)) >= 1);
    assert.match(await page.locator('#verdict').textContent(), /Transaction coordinator.*CompleteCommit/);

    await screenshotMatrix(page, 'txn-abort-hides-records-finished', { viewport: true });
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('zombie-fencing: producer 0 is fenced with PRODUCER_FENCED', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await openFinished(page, 'zombie-fencing');

    const zombie = page.locator('#stage .producer[data-producer="0"]');
    assert.equal(await zombie.getAttribute('data-txn-state'), 'fatal');
    assert.equal(await zombie.getAttribute('data-fenced'), 'PRODUCER_FENCED');
    assert.match(await zombie.getAttribute('class'), /\bfenced\b/);
    const zombieText = await zombie.textContent();
    assert.match(zombieText, /fenced: PRODUCER_FENCED/);
    assert.match(zombieText, /a newer instance owns the\s*transactional\.id/);
    const next = page.locator('#stage .producer[data-producer="1"]');
    assert.doesNotMatch(await next.getAttribute('class'), /\bfenced\b/);

    // The coordinator knows the id under the newest epoch; the zombie is listed as fenced.
    const txn = page.locator('#coordinator .txn-id[data-transactional-id="payments"]');
    assert.equal(await txn.getAttribute('data-status'), 'complete_commit');
    assert.equal((await txn.locator('.txn-epoch').textContent()).trim(), '2');
    assert.match(await txn.locator('li.fenced[data-producer="0"]').textContent(), /PRODUCER_FENCED/);

    assert.ok(
      (await eventLogRows(page, 'producer 0 fenced: PRODUCER_FENCED — a newer instance owns the transactional.id')) >= 1,
    );
    assert.ok(
      (await eventLogRows(page, 'transactional.id payments fenced: epoch bumped to 1 (a new instance called InitProducerId)')) >= 1,
    );
    // read_committed never sees the aborted (zombie's open) transaction.
    for (const p of [0, 1]) {
      const all = await consumed(page, p, 'read_uncommitted');
      const committed = await consumed(page, p, 'read_committed');
      assert.ok(committed.length <= all.length);
    }
    await screenshotMatrix(page, 'txn-zombie-fencing-finished', { viewport: true });
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('restart-with-transactional-id: read_committed has each value once; the raw log has duplicates', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await openFinished(page, 'restart-with-transactional-id');
    const raw = await page.$$eval('.logs [data-testid="log-entry"][data-control="false"]', (els) =>
      els.map((e) => e.dataset.message),
    );
    const twice = raw.filter((v, i) => raw.indexOf(v) !== i);
    assert.ok(twice.length > 0, `the raw log holds some values twice: ${raw.join()}`);
    let committedAll = [];
    let uncommittedRepeats = 0;
    for (const p of [0, 1]) {
      const committed = await consumed(page, p, 'read_committed');
      assert.equal(new Set(committed).size, committed.length, `p${p} read_committed: ${committed.join()}`);
      committedAll = committedAll.concat(committed);
      uncommittedRepeats += await page
        .locator(`.consumer-partition[data-partition="${p}"] .consumer[data-isolation="read_uncommitted"] .consumed-value.dup`)
        .count();
    }
    assert.equal(committedAll.length, 8, committedAll.join());
    assert.ok(uncommittedRepeats > 0, 'read_uncommitted shows the second copies in red');
    // every value the raw log holds twice reaches read_committed once
    for (const v of twice) assert.equal(committedAll.filter((x) => x === v).length, 1, v);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('multi-partition-commit before its markers: LSO below HW, read_committed waits', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    // PrepareCommit is recorded at 90 ms, the markers are written at 100 ms.
    await page.goto(`${baseUrl}?scenario=multi-partition-commit&t=95&autoplay=0`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    assert.match(await page.locator('#status').textContent(), /paused/);
    const txn = page.locator('#coordinator .txn-id[data-transactional-id="transfers"]');
    assert.equal(await txn.getAttribute('data-status'), 'prepare_commit');
    assert.equal((await txn.locator('.txn-pending').textContent()).trim(), 'p0, p1, p2');
    assert.match(await page.locator('#verdict').textContent(), /PrepareCommit for partitions 0, 1, 2/);
    for (const p of [0, 1, 2]) {
      const log = page.locator(`.logs .partition-log[data-partition="${p}"]`);
      assert.ok(Number(await log.getAttribute('data-lso')) < Number(await log.getAttribute('data-hw')));
      assert.equal(await log.locator('.log-mark[data-mark="lso"]').count(), 1);
      assert.equal(await log.locator('.log-mark[data-mark="hw"]').count(), 1);
      assert.equal(await log.locator('[data-marker]').count(), 0, 'no marker written yet');
      assert.equal(await consumedCount(page, p, 'read_committed'), 0);
      const uncommitted = page.locator(`.consumer-partition[data-partition="${p}"] .consumer[data-isolation="read_uncommitted"]`);
      assert.equal(await uncommitted.locator('.consumed-value.undecided').count(), 3);
      assert.match(
        await page.locator(`.consumer-partition[data-partition="${p}"] .consumer[data-isolation="read_committed"]`).textContent(),
        /waiting: an undecided transaction starts at offset 0/,
      );
    }
    // Play on: the markers land, read_committed receives everything.
    await page.locator('#speed').selectOption('16');
    await page.locator('#play').click();
    await page.waitForFunction(() => document.querySelector('#status')?.textContent.includes('finished'), null, {
      timeout: 60_000,
    });
    assert.equal(await txn.getAttribute('data-status'), 'complete_commit');
    for (const p of [0, 1, 2]) assert.equal(await consumedCount(page, p, 'read_committed'), 3);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('a non-transactional run shows one consumer list and no coordinator', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=lost-ack&idempotence=off&speed=16`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('#status')?.textContent.includes('finished'), null, {
      timeout: 60_000,
    });
    assert.equal(await page.locator('#coordinator').count(), 0);
    assert.match(await page.locator('#consumers-title').textContent(), /What a consumer receives/);
    assert.equal(await page.locator('.consumer-partition[data-partition="0"] .consumer').count(), 1);
    const values = await consumed(page, 0, 'read_uncommitted');
    assert.equal(values.length, 15);
    assert.equal(await page.locator('.consumer .consumed-value.dup').count(), 5);
    assert.equal(await page.locator('.logs .log-mark[data-mark="lso"]').count(), 0);
    assert.equal(await page.locator('.logs .log-mark[data-mark="hw"]').count(), 1);
    errors.assertNone();
  } finally {
    await page.close();
  }
});
