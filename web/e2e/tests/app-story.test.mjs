// The story on one screen: the stage, the current beat and the newest log cells (with any second
// copy) visible without scrolling at 1280x800, 375x812 and in a 700x480 embed; beats shown in
// order for every preset; guided mode stopping at key beats; what went wrong named as wrong; and
// Copy link reporting what really happened.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { launchBrowser, baseUrl, collectErrors, waitFinished, screenshot } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const SIZES = [
  { name: 'desktop', width: 1280, height: 800, query: '' },
  { name: 'phone', width: 375, height: 812, query: '' },
  { name: 'embed', width: 700, height: 480, query: '&embed=1&autoplay=1' },
];

/** Every preset's id, as the picker lists them. */
const presetIds = (page) =>
  page
    .goto(`${baseUrl}?scenario=happy-path&autoplay=0`)
    .then(() => page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value)));

/** The element's box, or null. */
const box = (page, selector) =>
  page.evaluate((s) => {
    const e = document.querySelector(s);
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height };
  }, selector);

for (const size of SIZES) {
  test(`one screen at ${size.width}x${size.height} (${size.name}): stage, beat and a second copy without scrolling`, async () => {
    const page = await browser.context.newPage();
    try {
      const errors = collectErrors(page);
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.goto(`${baseUrl}?scenario=lost-ack-no-idempotence&speed=8${size.query}`);
      await page.locator('#stage').waitFor();
      await waitFinished(page);
      await page.waitForTimeout(100);
      const inside = async (selector, what) => {
        const b = await box(page, selector);
        assert.ok(b, `${what} is on the page`);
        assert.ok(b.height > 0, `${what} is drawn`);
        assert.ok(b.top >= 0 && b.bottom <= size.height + 0.5, `${what} within the first screen: ${b.top}–${b.bottom} of ${size.height}`);
        assert.ok(b.left >= 0 && b.right <= size.width + 0.5, `${what} within the width: ${b.left}–${b.right} of ${size.width}`);
      };
      await inside('[data-stage]', 'the stage');
      await inside('[data-beat]', 'the current beat');
      // The newest second copy (offset 14) is drawn in the log peek under the stage.
      await inside('.log-peek [data-duplicate="true"][data-offset="14"]', 'the second copy at offset 14');
      assert.equal(await page.evaluate(() => window.scrollY), 0, 'nothing scrolled');
      await screenshot(page, `story-one-screen-${size.name}`);
      // Taller stages (three brokers, two producers, two partitions): the stage starts on the
      // first screen, and the beat and the newest log cells are on it.
      for (const id of ['failover-replicated', 'zombie-fencing', 'multi-partition-commit', 'acks-1-loss']) {
        await page.goto(`${baseUrl}?scenario=${id}&speed=16${size.query}`);
        await page.locator('#stage').waitFor();
        await waitFinished(page);
        await inside('[data-beat]', `${id}: the current beat`);
        await inside('.log-peek .peek-row:first-child .peek-cell:first-child', `${id}: the newest log cell`);
        // At least 120 px of the stage (its top: the producers and the first broker) show
        // above the log cells.
        const stage = await box(page, '[data-stage]');
        const peek = await box(page, '.log-peek');
        assert.ok(stage.top >= 0 && peek.top - stage.top >= 120, `${id}: the stage shows from ${stage.top} to the log at ${peek.top}`);
        await screenshot(page, `story-one-screen-${id}-${size.name}`);
      }
      errors.assertNone();
    } finally {
      await page.close();
    }
  });
}

test('every preset shows its beats in order and ends on the last one', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    const ids = await presetIds(page);
    // Every preset the core ships (one file each), not a count each new preset breaks.
    const shipped = readdirSync(new URL('../../../crates/sim/presets/', import.meta.url)).filter((f) => f.endsWith('.json'));
    assert.equal(ids.length, shipped.length);
    await page.addInitScript(() => {
      window.__beats = [];
      new MutationObserver(() => {
        const b = document.querySelector('[data-beat]')?.dataset.beat;
        if (b !== undefined && window.__beats.at(-1) !== b) window.__beats.push(b);
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-beat'] });
    });
    for (const id of ids) {
      await page.goto(`${baseUrl}?scenario=${id}&speed=8`);
      await waitFinished(page, 90_000);
      const seen = await page.evaluate(() => window.__beats);
      const dots = await page.locator('.beat-dot').count();
      assert.ok(dots >= 4, `${id}: a story of several beats (${dots})`);
      const steps = seen.filter((b) => b !== 'intro').map(Number);
      assert.ok(steps.length >= 2, `${id}: beats appeared as the run went (${seen})`);
      for (let i = 1; i < steps.length; i++) assert.ok(steps[i] > steps[i - 1], `${id}: beats in order (${seen})`);
      assert.equal(steps.at(-1), dots - 1, `${id}: the last beat states the outcome`);
      assert.match(await page.locator('.beat-step').textContent(), new RegExp(`Step ${dots} of ${dots}`));
    }
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('guided mode stops at the key beats and Continue goes on', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=lost-ack&guided=1&speed=4`);
    // Stops at the lost response (beat 2, a key beat), paused, with Continue offered.
    await page.locator('#beat-continue').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-beat]').getAttribute('data-beat'), '2');
    assert.match(await page.locator('#status').textContent(), /paused/);
    assert.match(await page.locator('[data-beat]').textContent(), /response is lost/);
    assert.ok(await page.locator('#guided-toggle').isChecked());
    // The response is on its way to being lost: the verdict shows the first append.
    await page.locator('#beat-continue').click();
    await page.waitForFunction(() => document.querySelector('[data-beat]')?.dataset.beat === '4', null, { timeout: 30_000 });
    await page.locator('#beat-continue').waitFor();
    assert.match(await page.locator('[data-beat]').textContent(), /answers NONE with the original offset 0/);
    await page.locator('#beat-continue').click();
    await waitFinished(page);
    assert.equal(await page.locator('#beat-continue').count(), 0);
    assert.equal(await page.locator('[data-beat]').getAttribute('data-beat'), '6');
    // A dot jumps back to its beat.
    await page.locator('.beat-dot').nth(2).click();
    await page.waitForFunction(() => document.querySelector('[data-beat]')?.dataset.beat === '2');
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('duplicates are named in the warning colour: verdict, status and the log peek', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=lost-ack-no-idempotence&speed=8`);
    await waitFinished(page);
    const verdict = page.locator('#verdict');
    assert.match(await verdict.getAttribute('class'), /cat-dup-written/);
    assert.equal((await verdict.locator('.verdict-text').textContent()).trim(), 'second copy: offsets 0–4 written again at 10–14');
    const status = page.locator('#status');
    assert.match(await status.getAttribute('class'), /warn/);
    assert.match(await status.textContent(), /finished with 5 duplicates written/);
    assert.equal(await page.locator('.log-peek [data-duplicate="true"]').count(), 5);
    // The same run with idempotence: a plain, successful finish.
    await page.goto(`${baseUrl}?scenario=lost-ack&speed=8`);
    await waitFinished(page);
    assert.doesNotMatch(await page.locator('#status').getAttribute('class'), /warn/);
    assert.match(await page.locator('#status').textContent(), /finished: every message is resolved/);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('Copy link without a clipboard shows the link selected and says so', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
    });
    await page.goto(`${baseUrl}?scenario=lost-ack&autoplay=0`);
    assert.equal(await page.locator('#share-link').isVisible(), false, 'the link field waits until needed');
    await page.locator('#copy-link').click();
    await page.locator('#share-link').waitFor({ state: 'visible' });
    assert.match(await page.locator('#copy-link').textContent(), /Ctrl\+C/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'share-link');
    const selected = await page.evaluate(() => {
      const i = document.querySelector('#share-link');
      return i.value.slice(i.selectionStart, i.selectionEnd);
    });
    assert.match(selected, /\?scenario=lost-ack/);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('stage text is at least 11 px on a desktop, a tablet, an embed and a phone, for every preset', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    const ids = await presetIds(page);
    // 1100 px puts the side column beside a stage narrower than its widest layout; the
    // 700x480 embed is the size the docs suggest.
    for (const [width, height, extra] of [[1280, 800, ''], [1100, 800, ''], [700, 480, '&embed=1'], [375, 812, '']]) {
      await page.setViewportSize({ width, height });
      for (const id of ids) {
        for (const t of [150, 100000]) {
          await page.goto(`${baseUrl}?scenario=${id}&t=${t}&autoplay=0${extra}`);
          await page.locator('#stage').waitFor();
          const smallest = await page.evaluate(() => {
            // The svg keeps its aspect: its scale is the smaller of width and height ratios.
            const svg = document.querySelector('#stage');
            const r = svg.getBoundingClientRect();
            const vb = svg.viewBox.baseVal;
            const scale = Math.min(r.width / vb.width, r.height / vb.height);
            const sizes = [...svg.querySelectorAll('text')]
              .filter((t) => t.getBoundingClientRect().width > 0)
              .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
            return Math.min(...sizes);
          });
          assert.ok(smallest >= 11, `${id} at t=${t}, ${width} px: smallest stage text ${smallest.toFixed(1)} px`);
        }
      }
    }
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('long error names are abbreviated on the stage, explained under it, never cut', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    for (const size of [{ width: 1280, height: 800 }, { width: 375, height: 812 }]) {
      await page.setViewportSize(size);
      // Five responses are on the wire at 115 ms, four of them OUT_OF_ORDER_SEQUENCE_NUMBER.
      await page.goto(`${baseUrl}?scenario=pipelined-retry&t=115&autoplay=0`);
      await page.locator('#stage .msg-response').first().waitFor();
      const texts = await page.locator('#stage text').allTextContents();
      assert.ok(texts.some((t) => t.includes('OOOS')), `an abbreviated name: ${texts.join(' | ')}`);
      assert.ok(texts.every((t) => !t.includes('…')), `nothing cut: ${texts.filter((t) => t.includes('…'))}`);
      assert.match(await page.locator('.stage-legend').textContent(), /OOOS = OUT_OF_ORDER_SEQUENCE_NUMBER/);
      // Every pill's text fits inside its pill.
      const overflow = await page.evaluate(() =>
        [...document.querySelectorAll('#stage .msg')].filter((g) => {
          const r = g.querySelector('rect')?.getBBox();
          const t = g.querySelector('text')?.getBBox();
          return r && t && (t.x < r.x - 0.5 || t.x + t.width > r.x + r.width + 0.5);
        }).length,
      );
      assert.equal(overflow, 0, 'no pill text runs out of its pill');
    }
    errors.assertNone();
  } finally {
    await page.close();
  }
});

/** WCAG contrast of every visible text element against its effective background. */
async function lowContrast(page) {
  return page.evaluate(() => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const lum = ({ r, g, b }) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0.5) return c;
      }
      return parse(getComputedStyle(document.body).backgroundColor) ?? { r: 255, g: 255, b: 255 };
    };
    const bad = [];
    const seen = new Set();
    for (const el of document.querySelectorAll('main *')) {
      if (el.closest('svg') || el.closest('.chip.off') || el.closest('[disabled]') || el.closest('.check.unavailable')) continue;
      const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join('');
      if (!text) continue;
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || style.visibility === 'hidden' || Number(style.opacity) < 0.9) continue;
      const fg = parse(style.color);
      const bg = background(el);
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const key = `${el.className}|${style.color}|${ratio.toFixed(2)}`;
      if (ratio < 4.5 && !seen.has(key)) {
        seen.add(key);
        bad.push(`${el.tagName.toLowerCase()}.${el.className} “${text.slice(0, 30)}” ${ratio.toFixed(2)}:1`);
      }
    }
    // The stage's SVG text: its colour is its fill, its background the nearest shape drawn
    // under it (a node's box, a message's pill), else the page behind the svg.
    const opacity = (el) => {
      let o = 1;
      for (let e = el; e && e.tagName !== 'svg'; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
      return o;
    };
    const svgBackground = (el) => {
      for (let g = el.parentElement; g && g.tagName !== 'svg'; g = g.parentElement) {
        const shape = [...g.children].find((c) => c.tagName === 'rect' && !c.classList.contains('link-hit'));
        if (!shape) continue;
        const st = getComputedStyle(shape);
        const c = parse(st.fill);
        if (c && c.a > 0.5 && Number(st.fillOpacity) > 0.5) return c;
      }
      return background(el.closest('svg'));
    };
    for (const el of document.querySelectorAll('main svg text, main svg tspan')) {
      const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join('');
      if (!own) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || opacity(el) < 0.9) continue;
      const style = getComputedStyle(el);
      const fg = parse(style.fill);
      if (!fg) continue;
      const bg = svgBackground(el);
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const key = `svg|${el.getAttribute('class')}|${style.fill}|${ratio.toFixed(2)}`;
      // A batch's colour glyph is a graphic, not words: WCAG 1.4.11 asks 3:1 of it.
      const least = el.classList.contains('batch-glyph') ? 3 : 4.5;
      if (ratio < least && !seen.has(key)) {
        seen.add(key);
        bad.push(`svg ${el.tagName}.${el.getAttribute('class')} “${own.slice(0, 30)}” ${ratio.toFixed(2)}:1`);
      }
    }
    return bad;
  });
}

test('text contrast is at least 4.5:1 in both themes', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    for (const theme of ['light', 'dark']) {
      for (const id of ['lost-ack-no-idempotence', 'zombie-fencing']) {
        await page.goto(`${baseUrl}?scenario=${id}&speed=8&theme=${theme}`);
        await waitFinished(page);
        const bad = await lowContrast(page);
        assert.deepEqual(bad, [], `${id}, ${theme} theme`);
      }
      // Paused mid-run: messages on the wire, a lit slot, countdowns, a crashed broker.
      for (const [id, t] of [['lost-ack', 150], ['failover-replicated', 1000], ['pipelined-retry', 112], ['state-expiry', 36]]) {
        await page.goto(`${baseUrl}?scenario=${id}&t=${t}&autoplay=0&theme=${theme}`);
        await page.locator('#stage').waitFor();
        const bad = await lowContrast(page);
        assert.deepEqual(bad, [], `${id} at ${t} ms, ${theme} theme`);
      }
    }
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('a link is clickable: cut, it is drawn cut with its countdown; a crashed broker counts down too', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?scenario=lost-ack&autoplay=0`);
    await page.locator('[data-link="0-0"]').click();
    assert.match(await page.locator('#actions').textContent(), /Link producer 0 ↔ broker 0/);
    await page.locator('#cut-link-0-0').click();
    await page.waitForFunction(() => location.search.includes('faults='));
    await page.locator('#play').click();
    await page.locator('.link-group.cut[data-link="0-0"]').waitFor({ state: 'attached' });
    assert.match(await page.locator('.countdown.link-cut text').textContent(), /link cut · \d+\.\d s left/);
    // A retry waits out its backoff, counting down beside the producer (lost-ack: the retries
    // were scheduled at 40 ms with 100 ms of backoff).
    await page.goto(`${baseUrl}?scenario=lost-ack&t=90&autoplay=0`);
    assert.match(await page.locator('.countdown.backoff text').textContent(), /retry backoff · 0\.0\d s left|retry backoff · 0\.\d s left/);
    // A crash counts down to the restart inside the broker's box.
    await page.goto(`${baseUrl}?scenario=failover-replicated&t=1000&autoplay=0`);
    assert.match(await page.locator('.countdown.broker-down text').textContent(), /restarts · 1\.\d s left/);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('a broker that forgot a producer says so where its memory was', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    // state-expiry: pid 1000's state expires at 1000 ms; the retry gets through at 2230 ms.
    await page.goto(`${baseUrl}?scenario=state-expiry&t=1500&autoplay=0`);
    await page.locator('#stage').waitFor();
    assert.match(await page.locator('#stage .broker[data-broker="0"]').textContent(), /forgot pid 1000: expired at 1000 ms/);
    await page.goto(`${baseUrl}?scenario=state-expiry&t=500&autoplay=0`);
    assert.match(await page.locator('#stage .broker[data-broker="0"]').textContent(), /remembers pid 1000 epoch 0 · 1 batch/);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('the checked batch lights up in the leader\'s memory and in the log, in the verdict\'s colour', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    // lost-ack at 150 ms: the retry of 0–4 was just found among the cached batches.
    await page.goto(`${baseUrl}?scenario=lost-ack&t=150&autoplay=0`);
    await page.locator('#stage').waitFor();
    assert.match(await page.locator('.verdict').textContent(), /duplicate of offsets 0–4/);
    assert.deepEqual(await page.locator('#stage .slot[data-lit]').allTextContents(), ['[0–4→@0]']);
    assert.match(await page.locator('#stage .slot[data-lit]').getAttribute('class'), /checked-duplicate/);
    const lit = await page.locator('.log-peek .peek-cell[data-lit]').evaluateAll((cs) => cs.map((c) => c.className));
    assert.equal(lit.length, 5, 'the five records the retry matched');
    assert.ok(lit.every((c) => c.includes('checked-duplicate')), lit.join());
    // pipelined-retry at 112 ms: a batch refused for a gap lights the slot it had to follow.
    await page.goto(`${baseUrl}?scenario=pipelined-retry&t=112&autoplay=0`);
    assert.match(await page.locator('.verdict').textContent(), /OUT_OF_ORDER_SEQUENCE_NUMBER: expected sequence 5/);
    assert.deepEqual(await page.locator('#stage .slot.checked-rejected').allTextContents(), ['[0–4→@0]']);
    assert.equal(await page.locator('.log-peek .peek-cell[data-lit]').count(), 0);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('request timeout, delivery timeout and state expiry count down', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    // A link cut after the producer id arrives: both requests are lost, nothing is on the
    // wire, and the client waits out request.timeout.ms (3 s), then retries.
    const scenario = {
      producers: [{ workload: { messages: 6 }, config: { 'request.timeout.ms': 3000, 'delivery.timeout.ms': 9000, 'retry.backoff.ms': 50, 'linger.ms': 0 } }],
      faults: [{ when: { at_ms: 21 }, fault: { type: 'cut_link', producer: 0, broker: 0, duration_ms: 5000 } }],
    };
    const url = `${baseUrl}?scenario=${encodeURIComponent(JSON.stringify(scenario))}&autoplay=0`;
    await page.goto(`${url}&t=1520`);
    assert.match(await page.locator('.countdown.request-timeout text').textContent(), /request timeout · 1\.5 s left/);
    // After the timeout the batches are retries: their delivery.timeout.ms is shown.
    await page.goto(`${url}&t=3500`);
    assert.match(await page.locator('.countdown.delivery-timeout text').textContent(), /delivery timeout · 5\.5 s left/);
    // state-expiry: producer.id.expiration.ms is 1 s, checked every 500 ms.
    await page.goto(`${baseUrl}?scenario=state-expiry&t=400&autoplay=0`);
    assert.match(await page.locator('.countdown.state-expiry text').textContent(), /p0 forgets pid 1000 · 0\.6 s left/);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('messages travel between the boxes, never over them (at most behind another box), at every size', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    for (const [width, height] of [[1280, 800], [375, 812]]) {
      await page.setViewportSize({ width, height });
      for (const [id, times] of [['pipelined-retry', [100, 105, 112, 118]], ['failover-replicated', [150, 157, 165]], ['lost-ack', [15, 35, 150]], ['zombie-fencing', [25, 45, 65, 205]]]) {
        for (const t of times) {
          await page.goto(`${baseUrl}?scenario=${id}&t=${t}&autoplay=0`);
          await page.locator('#stage').waitFor();
          const overlaps = await page.evaluate(() => {
            const boxes = [...document.querySelectorAll('#stage .node-box')].map((b) => b.getBoundingClientRect());
            const pills = [...document.querySelectorAll('#stage .msg:not([data-kind="marker"]) > rect:first-of-type')].map((p) => p.getBoundingClientRect());
            const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
            // Where a pill and a box overlap, the box must be the one drawn on top.
            const onTop = (a, b) => {
              const x = (Math.max(a.left, b.left) + Math.min(a.right, b.right)) / 2;
              const y = (Math.max(a.top, b.top) + Math.min(a.bottom, b.bottom)) / 2;
              return document.elementFromPoint(x, y)?.closest('.msg') != null;
            };
            return pills.flatMap((p, i) => boxes.filter((b) => hit(p, b) && onTop(p, b)).map(() => i)).length;
          });
          assert.equal(overlaps, 0, `${id} at ${t} ms, ${width} px: a message pill over a box`);
        }
      }
    }
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('compare mode fits 1280x800: both stages (text >= 11 px), both log peeks and verdicts', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.setViewportSize({ width: 1280, height: 800 });
    for (const id of ['lost-ack', 'lost-ack-no-idempotence', 'reorder-no-idempotence']) {
      await page.goto(`${baseUrl}?scenario=${id}&compare=1&speed=8`);
      await waitFinished(page);
      for (const lane of ['off', 'on']) {
        for (const part of ['svg[data-stage]', '.log-peek', '.verdict']) {
          const b = await box(page, `.lane[data-lane="${lane}"] ${part}`);
          assert.ok(b && b.top >= 0 && b.bottom <= 800, `${id}: the ${lane} lane's ${part} is on screen (${JSON.stringify(b)})`);
        }
      }
      const smallest = await page.evaluate(() => {
        let min = Infinity;
        for (const t of document.querySelectorAll('.lane svg[data-stage] text')) {
          const svg = t.closest('svg');
          if (!t.getBoundingClientRect().width) continue;
          const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          min = Math.min(min, parseFloat(getComputedStyle(t).fontSize) * scale);
        }
        return min;
      });
      assert.ok(smallest >= 11, `${id}: smallest stage text ${smallest.toFixed(1)} px`);
    }
    await screenshot(page, 'compare-1280x800');
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('no text runs out of its box on the stage or is cut to fit, for every preset at 1280, 1100, 375 and in an embed', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    const ids = await presetIds(page);
    // 1100 px: the side column leaves the stage less than its widest layout.
    for (const size of [...SIZES, { name: 'tablet', width: 1100, height: 800, query: '' }]) {
      await page.setViewportSize({ width: size.width, height: size.height });
      for (const id of ids) {
        for (const t of ['200', '100000']) {
          await page.goto(`${baseUrl}?scenario=${id}&t=${t}&autoplay=0${size.query.replace('&autoplay=1', '')}`);
          await page.locator('#stage').waitFor();
          const out = await page.evaluate(() => {
            const bad = [];
            for (const node of document.querySelectorAll('#stage .node')) {
              const b = node.querySelector('.node-box').getBoundingClientRect();
              for (const t of node.querySelectorAll('text')) {
                const r = t.getBoundingClientRect();
                if (r.width && (r.left < b.left - 0.5 || r.right > b.right + 0.5)) bad.push(`“${t.textContent}” ${Math.round(r.right - b.right)} px out`);
                // Nothing is cut to fit either ("waiting for a producer id…" is a wait, not a cut).
                if (t.textContent.endsWith('…') && !/^waiting for /.test(t.textContent)) bad.push(`“${t.textContent}” is cut`);
              }
            }
            return bad;
          });
          assert.deepEqual(out, [], `${id} at t=${t}, ${size.name}`);
        }
      }
    }
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('one batch, one colour: its chip, its request, its slot in the broker\'s memory and its records', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    // lost-ack-no-idempotence at 136 ms: both batches were retried; the first was written
    // again at 10–14, so its two copies carry its colour.
    await page.goto(`${baseUrl}?scenario=lost-ack-no-idempotence&t=136&autoplay=0`);
    await page.locator('#stage').waitFor();
    const hueOf = (cls) => cls.split(/\s+/).find((c) => /^bh\d$/.test(c));
    const chips = await page.locator('#stage .chip-svg').evaluateAll((cs) => cs.map((c) => [c.dataset.batch, c.getAttribute('class')]));
    assert.deepEqual(chips.map(([b]) => b), ['0', '1']);
    const [hue0, hue1] = chips.map(([, c]) => hueOf(c));
    assert.ok(hue0 && hue1 && hue0 !== hue1, `two batches, two colours: ${hue0} ${hue1}`);
    const cells = await page.locator('.logs [data-testid="log-entry"]').evaluateAll((cs) => cs.map((c) => [Number(c.dataset.offset), c.dataset.batch, c.className]));
    for (const [offset, batch, cls] of cells) {
      const expected = offset < 5 || offset >= 10 ? '0' : '1';
      assert.equal(batch, expected, `offset ${offset}`);
      assert.equal(hueOf(cls), expected === '0' ? hue0 : hue1, `offset ${offset} is drawn in its batch's colour`);
    }
    // What a consumer receives keeps the colour: p0-m0 at offset 0 and again at offset 10.
    const consumed = await page.locator('.consumers [data-testid="consumed"][data-value="p0-m0"]').evaluateAll((cs) => cs.map((c) => [c.dataset.offset, c.className]));
    assert.deepEqual(consumed.map(([o]) => o), ['0', '10']);
    assert.ok(consumed.every(([, c]) => hueOf(c) === hue0), consumed.join());
    // The responses on the wire answer requests that carried the two batches.
    const marks = await page.locator('#stage .msg-response .batch-mark').evaluateAll((ms) => ms.map((m) => m.getAttribute('class')));
    assert.deepEqual(marks.map(hueOf).sort(), [hue0, hue1].sort());
    // lost-ack at 156 ms: the slot the retry matched is marked with batch 0's colour.
    await page.goto(`${baseUrl}?scenario=lost-ack&t=156&autoplay=0`);
    assert.equal(await page.locator('#stage .batch-glyph').getAttribute('data-batch'), '0');
    assert.equal(hueOf(await page.locator('#stage .batch-glyph').getAttribute('class')), hueOf(await page.locator('.log-peek .peek-cell[data-offset="0"]').getAttribute('class')));
    errors.assertNone();
  } finally {
    await page.close();
  }
});
