// The app as an iframe embed (`?embed=1`), seen from a host page on ANOTHER origin:
// protocol v1 notices (ready, resize, state) and host commands (play, pause, step, seek, load,
// set-theme), the allow_origins check, compact chrome, and bad parameters shown in the frame.
//
// The host page is fulfilled by playwright (page.route) at a URL of the second origin that run.mjs serves
// (E2E_SECOND_ORIGIN_URL), so the frame and the host really are cross-origin.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, baseUrl, artifactsDir, collectErrors, screenshot } from '../lib.mjs';

const secondOrigin = process.env.E2E_SECOND_ORIGIN_URL;
const frameOrigin = new URL(baseUrl).origin;

// The host page is a real file (pages fulfilled by playwright routes count as public, and
// Chromium's local network access checks then block their frames on 127.0.0.1), written to the
// git-ignored artifacts folder, which run.mjs serves under /web/ on both origins.
const HOST_PATH = 'web/e2e/artifacts/embed-frame/host.html';
const HOST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>embed-frame host</title></head><body style="margin:0">
<iframe id="lab" title="Idempotent Producer Lab" style="border:0;width:900px;height:500px"></iframe>
<script>
  const src = new URLSearchParams(location.search).get('src');
  window.msgs = [];
  window.addEventListener('message', (e) => {
    if (e.data && e.data.source === 'idempotence-lab') window.msgs.push({ origin: e.origin, ...e.data });
  });
  window.send = (msg) => document.getElementById('lab').contentWindow
    .postMessage({ source: 'idempotence-lab-host', version: 1, ...msg }, new URL(src).origin);
  document.getElementById('lab').src = src;
</script></body></html>`;

let browser;
before(async () => {
  mkdirSync(join(artifactsDir, 'embed-frame'), { recursive: true });
  writeFileSync(join(artifactsDir, 'embed-frame', 'host.html'), HOST_PAGE);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Opens a host page on the second origin holding one iframe of the lab with `query`. */
async function host(query) {
  const page = await browser.context.newPage();
  const errors = collectErrors(page);
  const warnings = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  await page.goto(`${secondOrigin ?? baseUrl}${HOST_PATH}?src=${encodeURIComponent(baseUrl + query)}`);
  const frame = page.frameLocator('#lab');
  return { page, frame, errors, warnings };
}

const msgs = (page) => page.evaluate(() => window.msgs);

/** Waits for a message matching `pred` (a function source evaluated in the page) after index `from`. */
async function waitMsg(page, pred, from = 0) {
  const handle = await page.waitForFunction(
    ([p, from]) => window.msgs.slice(from).find(new Function('m', `return (${p})(m)`)),
    [pred.toString(), from],
    { timeout: 30_000 },
  );
  return handle.jsonValue();
}

test('cross-origin embed: ready, resize, state, and every host command', { skip: !secondOrigin && 'needs E2E_SECOND_ORIGIN_URL (run.mjs)' }, async () => {
  const allow = encodeURIComponent(new URL(secondOrigin).origin);
  const { page, frame, errors, warnings } = await host(
    `?embed=1&scenario=lost-ack&autoplay=0&controls=minimal&theme=dark&id=fig1&allow_origins=${allow}`,
  );
  try {
    const ready = await waitMsg(page, (m) => m.type === 'ready');
    assert.deepEqual(ready, { origin: frameOrigin, source: 'idempotence-lab', version: 1, id: 'fig1', type: 'ready', notices: [] });
    const resize = await waitMsg(page, (m) => m.type === 'resize');
    assert.ok(resize.height > 100, `height ${resize.height}`);
    const first = await waitMsg(page, (m) => m.type === 'state');
    assert.deepEqual(first.state, {
      scenario: 'lost-ack',
      seed: 2,
      time_ms: 0,
      playing: false,
      finished: false,
      event_index: 0,
      duplicates_written: 0,
      duplicates_prevented: 0,
    });
    // ready comes first
    assert.equal((await msgs(page))[0].type, 'ready');

    // Compact chrome: minimal controls, dark theme, no preset picker, no config panel.
    await frame.locator('#play').waitFor();
    assert.equal(await frame.locator('#preset').count(), 0);
    assert.equal(await frame.locator('#config-panel').count(), 0);
    assert.equal(await frame.locator('html').getAttribute('data-theme'), 'dark');
    await screenshot(page, 'embed-frame-dark-minimal');

    // play → state playing
    let n = (await msgs(page)).length;
    await page.evaluate(() => window.send({ type: 'play' }));
    await waitMsg(page, (m) => m.type === 'state' && m.state.playing === true, n);
    // while it plays the host hears of progress, at most 4 times a second
    const playingFrom = (await msgs(page)).length;
    await page.waitForTimeout(1500);
    const progress = (await msgs(page)).slice(playingFrom).filter((m) => m.type === 'state' && m.state.playing);
    assert.ok(progress.length >= 2 && progress.length <= 7, `throttled progress notices: ${progress.length} in 1.5 s`);
    // pause
    n = (await msgs(page)).length;
    await page.evaluate(() => window.send({ type: 'pause' }));
    const paused = await waitMsg(page, (m) => m.type === 'state' && m.state.playing === false, n);
    // step → one more event
    n = (await msgs(page)).length;
    await page.evaluate(() => window.send({ type: 'step' }));
    const stepped = await waitMsg(page, (m) => m.type === 'state', n);
    assert.ok(stepped.state.event_index > paused.state.event_index, 'step advanced the run');
    // seek past the end → finished, with the core's counters
    n = (await msgs(page)).length;
    await page.evaluate(() => window.send({ type: 'seek', time_ms: 100000 }));
    const done = await waitMsg(page, (m) => m.type === 'state' && m.state.finished, n);
    assert.equal(done.state.duplicates_prevented, 1);
    assert.equal(done.state.duplicates_written, 0);
    assert.equal(done.state.event_index, 33);
    // seek back to 40 ms
    n = (await msgs(page)).length;
    await page.evaluate(() => window.send({ type: 'seek', time_ms: 40 }));
    const back = await waitMsg(page, (m) => m.type === 'state' && !m.state.finished, n);
    assert.equal(back.state.time_ms, 40);
    // load another scenario with a seed; a taller stage reports a new height
    const heightBefore = (await msgs(page)).filter((m) => m.type === 'resize').at(-1).height;
    n = (await msgs(page)).length;
    await page.evaluate(() => window.send({ type: 'load', scenario: 'failover-replicated', seed: 5 }));
    const loaded = await waitMsg(page, (m) => m.type === 'state' && m.state.scenario === 'failover-replicated', n);
    assert.equal(loaded.state.seed, 5);
    assert.equal(loaded.state.playing, false, 'autoplay=0 holds for loads too');
    const taller = await waitMsg(page, (m) => m.type === 'resize', n);
    assert.notEqual(taller.height, heightBefore);
    // set-theme
    await page.evaluate(() => window.send({ type: 'set-theme', theme: 'light' }));
    await page.waitForFunction(() => true);
    await frame.locator('html[data-theme="light"]').waitFor();
    // unknown type and version: ignored, one console.warn, no error
    await page.evaluate(() => window.send({ type: 'dance' }));
    await page.evaluate(() =>
      document.getElementById('lab').contentWindow.postMessage({ source: 'idempotence-lab-host', version: 9, type: 'play' }, '*'),
    );
    // malformed data never breaks the frame
    await page.evaluate(() => {
      const w = document.getElementById('lab').contentWindow;
      w.postMessage(null, '*');
      w.postMessage('play', '*');
      w.postMessage({ source: 'idempotence-lab-host', version: 1, type: 'seek', time_ms: 'soon' }, '*');
    });
    await page.waitForTimeout(300);
    const ignoredWarnings = warnings.filter((w) => w.includes('idempotence-lab: ignoring'));
    assert.equal(ignoredWarnings.length, 1, ignoredWarnings.join('\n'));
    n = (await msgs(page)).length;
    await page.evaluate(() => window.send({ type: 'step' }));
    await waitMsg(page, (m) => m.type === 'state', n);
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('commands from an origin not in allow_origins are ignored', { skip: !secondOrigin && 'needs E2E_SECOND_ORIGIN_URL' }, async () => {
  const { page, frame, errors, warnings } = await host('?embed=1&scenario=lost-ack&autoplay=0&controls=none');
  try {
    await waitMsg(page, (m) => m.type === 'state');
    assert.equal(await frame.locator('#play').count(), 0, 'controls=none shows no controls');
    const n = (await msgs(page)).length;
    await page.evaluate(() => window.send({ type: 'play' }));
    await page.waitForTimeout(600);
    assert.equal((await msgs(page)).slice(n).filter((m) => m.type === 'state').length, 0);
    assert.ok(warnings.some((w) => w.includes('not in allow_origins')), warnings.join('\n'));
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('same origin, no iframe: the page posts to itself and obeys its own origin', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.addInitScript(() => {
      window.msgs = [];
      window.addEventListener('message', (e) => {
        if (e.data && e.data.source === 'idempotence-lab') window.msgs.push(e.data);
      });
    });
    await page.goto(`${baseUrl}?embed=1&scenario=lost-ack&autoplay=0&controls=minimal&theme=dark`);
    await waitMsg(page, (m) => m.type === 'ready');
    const s = await waitMsg(page, (m) => m.type === 'state');
    assert.equal(s.id, null);
    // Hostile data first: cyclic, deep, huge, odd types, absurd values. None may break the frame.
    await page.evaluate(() => {
      const cyclic = { source: 'idempotence-lab-host', version: 1, type: 'load' };
      cyclic.scenario = cyclic;
      let deep = {};
      for (let i = 0; i < 100000; i += 1) deep = { a: deep };
      const host = (m) => ({ source: 'idempotence-lab-host', version: 1, ...m });
      for (const data of [
        cyclic,
        deep,
        { source: 'idempotence-lab-host', version: 1, type: 'load', scenario: 'x'.repeat(5 << 20) },
        host({ type: 'load', scenario: { producers: [{ workload: { messages: 1, bursts: [{ at_ms: 0, messages: 4294967295 }, { at_ms: 0, messages: 4294967295 }] } }] } }),
        host({ type: 'load', scenario: '{"producers":[{"workload":{"messages":3}}]} junk' }),
        host({ type: 'load', scenario: 'lost-ack', seed: -1 }),
        host({ type: 'seek', time_ms: 1e300 }),
        host({ type: 'seek', time_ms: -1 }),
        host({ type: 'set-theme', theme: { toString: () => 'dark' } }),
        new ArrayBuffer(16),
        [1, 2, 3],
        Symbol.for ? 'symbol-free' : null,
      ]) {
        try {
          window.postMessage(data, '*');
        } catch {
          // structured clone refuses some values itself: that is the browser, not the lab.
        }
      }
    });
    await page.waitForTimeout(500);
    const n = (await msgs(page)).length;
    await page.evaluate(() => window.postMessage({ source: 'idempotence-lab-host', version: 1, type: 'seek', time_ms: 100000 }, '*'));
    const done = await waitMsg(page, (m) => m.type === 'state' && m.state.finished, n);
    assert.equal(done.state.duplicates_prevented, 1);
    await page.setViewportSize({ width: 375, height: 700 });
    await screenshot(page, 'embed-frame-phone');
    errors.assertNone();
  } finally {
    await page.close();
  }
});

test('invalid embed parameters show a clear message inside the frame and fall back', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}?embed=1&scenario=nope&controls=huge&theme=pink&autoplay=maybe&t=soon`);
    await page.locator('#url-errors').waitFor({ timeout: 30_000 });
    const text = await page.locator('#url-errors').textContent();
    assert.match(text, /Unknown scenario “nope”/);
    assert.match(text, /controls must be full, minimal or none/);
    assert.match(text, /theme must be auto, light or dark/);
    assert.match(text, /autoplay must be 0 or 1/);
    assert.match(text, /t must be a time in ms/);
    // fell back: full controls, the default scenario, paused (embeds do not autoplay by default)
    assert.equal(await page.locator('#preset').inputValue(), 'lost-ack');
    assert.match(await page.locator('#status').textContent(), /paused/);
    errors.assertNone();
  } finally {
    await page.close();
  }
});
