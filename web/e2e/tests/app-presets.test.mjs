// Every preset plays to the end in the browser and the page's counters equal the core's.
//
// Expected numbers pinned from the CLI (`cargo run -q -p idempotence-sim -- run <id>`, the
// "counters" object and "event_count"). If the core changes a preset on purpose, re-run the CLI
// and update this table.
// Also screenshots the multi-broker presets at 1280 and 375 px, light and dark.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, baseUrl, collectErrors, screenshotMatrix } from '../lib.mjs';

const EXPECTED = {
  'happy-path': { written: 0, prevented: 0, retries: 0, acked: 15, lost: 0, reorderings: 0, events: 35 },
  'lost-ack': { written: 0, prevented: 1, retries: 2, acked: 10, lost: 0, reorderings: 0, events: 33 },
  'lost-ack-no-idempotence': { written: 5, prevented: 0, retries: 2, acked: 10, lost: 0, reorderings: 0, events: 33 },
  // versions: a 3.0.0 client ignores the idempotence default (KAFKA-13598)
  'client-3-0-default': { written: 5, prevented: 0, retries: 2, acked: 10, lost: 0, reorderings: 0, events: 33 },
  'pipelined-retry': { written: 0, prevented: 0, retries: 5, acked: 30, lost: 0, reorderings: 0, events: 94 },
  'reorder-no-idempotence': { written: 0, prevented: 0, retries: 1, acked: 30, lost: 0, reorderings: 5, events: 73 },
  'failover-replicated': { written: 0, prevented: 1, retries: 2, acked: 20, lost: 0, reorderings: 0, events: 134 },
  'failover-unreplicated': { written: 0, prevented: 0, retries: 1, acked: 30, lost: 15, reorderings: 0, events: 207 },
  'producer-restart': { written: 10, prevented: 0, retries: 0, acked: 10, lost: 0, reorderings: 0, events: 45 },
  'state-expiry': { written: 5, prevented: 0, retries: 3, acked: 5, lost: 0, reorderings: 0, events: 31 },
  'epoch-bump': { written: 0, prevented: 0, retries: 2, acked: 5, lost: 0, reorderings: 0, events: 37 },
  'acks-1-loss': { written: 0, prevented: 0, retries: 0, acked: 20, lost: 7, reorderings: 0, events: 138 },
  'textbook-rule-loss': { written: 0, prevented: 0, retries: 1, acked: 30, lost: 5, reorderings: 0, events: 73 },
  // transaction presets (added to the core after the first 12)
  'multi-partition-commit': { written: 0, prevented: 0, retries: 0, acked: 9, lost: 0, reorderings: 0, events: 51 },
  'abort-hides-records': { written: 0, prevented: 0, retries: 0, acked: 12, lost: 0, reorderings: 0, events: 65 },
  'zombie-fencing': { written: 0, prevented: 0, retries: 0, acked: 9, lost: 0, reorderings: 0, events: 75 },
  'restart-with-transactional-id': { written: 0, prevented: 0, retries: 0, acked: 8, lost: 0, reorderings: 0, events: 61 },
};

const SHOOT = ['failover-replicated', 'epoch-bump', 'textbook-rule-loss', 'abort-hides-records'];

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const num = (page, id) => page.locator(`#counter-${id}`).textContent().then(Number);


for (const [id, want] of Object.entries(EXPECTED)) {
  test(`${id} plays to the end with the core's counters`, async () => {
    const page = await browser.context.newPage();
    try {
      const errors = collectErrors(page);
      await page.goto(`${baseUrl}?scenario=${id}&speed=16`);
      await page.locator('#app-root').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#preset').inputValue(), id);
      await page.waitForFunction(() => document.querySelector('#status')?.textContent.includes('finished'), null, {
        timeout: 90_000,
      });
      const got = {
        written: await num(page, 'duplicates-written'),
        prevented: await num(page, 'duplicates-prevented'),
        retries: await num(page, 'retries'),
        acked: await num(page, 'acked'),
        lost: await num(page, 'lost'),
        reorderings: await num(page, 'reorderings'),
        events: Number((await page.locator('#status').textContent()).match(/event (\d+) of/)[1]),
      };
      assert.deepEqual(got, want);
      // Every broker is drawn, crashed or not.
      const brokers = await page.locator('#stage .broker').count();
      assert.ok(brokers >= 1);
      if (SHOOT.includes(id)) await screenshotMatrix(page, `preset-${id}-finished`);
      errors.assertNone();
    } finally {
      await page.close();
    }
  });
}

test('failover-replicated mid-run: the crashed broker is greyed, a follower took over', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=failover-replicated&speed=4`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    await page.locator('#stage .broker.down').first().waitFor({ timeout: 60_000 });
    await page.locator('#play').click();
    assert.equal(await page.locator('#stage .broker').count(), 3);
    const text = await page.locator('#stage').textContent();
    assert.match(text, /crashed/);
    assert.match(text, /ISR/);
    assert.match(text, /HW/);
    await screenshotMatrix(page, 'preset-failover-replicated-crashed');
    errors.assertNone();
  } finally {
    await page.close();
  }
});
