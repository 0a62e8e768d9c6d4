// The mount script (dist/embed/idempotence-lab.js) on a host page of ANOTHER origin than the
// lab: run.mjs serves dist/ twice, at E2E_BASE_URL (the lab, origin A) and at
// E2E_SECOND_ORIGIN_URL (the docs site, origin B).
//
// Part 1 drives the host side against a stub frame written here (served on origin A) that
// speaks iframe protocol v1, so the mount script is tested whatever the app does.
// Part 2 runs the same checks against the real app's embed mode (`index.html?embed=1`); it is
// skipped, saying why, while the app does not answer with a `ready` message.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, baseUrl, secondOriginUrl, artifactsDir, collectErrors, screenshot } from '../lib.mjs';

const A = baseUrl; // the lab's site
const B = secondOriginUrl; // the docs site embedding it
const originOf = (u) => new URL(u).origin;
const skipAll = !B && 'E2E_SECOND_ORIGIN_URL not set (run through web/e2e/run.mjs)';

// The host pages and the stub frame are written (from this file) to web/e2e/artifacts/embed-host/,
// which both servers serve under /web/: real responses from 127.0.0.1, as a docs site would be.
// (Pages fulfilled by playwright routes count as public, and Chromium's local network access
// checks then block their requests to 127.0.0.1.)
const FIXTURES = 'web/e2e/artifacts/embed-host/';
const fixturesDir = join(artifactsDir, 'embed-host');

// A minimal frame speaking protocol v1, enough to test the host side. It records the commands it
// accepted in window.received, honours allow_origins, and puts the theme on <html data-theme>.
const STUB_FRAME = `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>stub</title>
<style>:root[data-theme=dark]{background:#000;color:#fff}</style></head>
<body><p id="stub">stub frame</p><script>
const q = new URLSearchParams(location.search);
const id = q.get('id');
const allowed = (q.get('allow_origins') || '').split(',').filter(Boolean);
const st = { scenario: q.get('scenario') || 'lost-ack', seed: Number(q.get('seed') || 0), time_ms: 0, playing: false,
  finished: false, event_index: 0, duplicates_written: 0, duplicates_prevented: 0 };
window.received = [];
const send = (m) => parent.postMessage({ source: 'idempotence-lab', version: 1, id, ...m }, '*');
const state = () => send({ type: 'state', state: { ...st } });
addEventListener('message', (e) => {
  const d = e.data;
  if (!d || d.source !== 'idempotence-lab-host' || d.version !== 1) return;
  if (e.origin !== location.origin && !allowed.includes(e.origin)) return;
  window.received.push(d.type);
  if (d.type === 'play') st.playing = true;
  if (d.type === 'pause') st.playing = false;
  if (d.type === 'step') { st.event_index += 1; st.time_ms += 5; }
  if (d.type === 'seek') st.time_ms = d.time_ms;
  if (d.type === 'load') { st.scenario = d.scenario; st.seed = d.seed ?? 0; st.time_ms = 0; }
  if (d.type === 'set-theme') document.documentElement.setAttribute('data-theme', d.theme);
  state();
});
if (q.get('theme') && q.get('theme') !== 'auto') document.documentElement.setAttribute('data-theme', q.get('theme'));
send({ type: 'ready' });
send({ type: 'resize', height: 333 });
state();
</script></body></html>`;

const MOUNT_SCRIPT = `${A}embed/idempotence-lab.js`;
const host = (name) => `${B}${FIXTURES}${name}`;
const STUB = `${A}${FIXTURES}stub-frame.html`;

const HOST_PAGES = {
  // Two labs at the top, one far below the fold, one with bad attributes.
  'stub.html': `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>host</title></head><body>
<div id="one" data-idempotence-lab data-src="${STUB}" data-scenario="lost-ack" data-seed="7" data-controls="minimal" data-speed="2"></div>
<div id="two" data-idempotence-lab data-src="${STUB}" data-scenario="happy-path" data-theme="light"></div>
<div id="bad" data-idempotence-lab data-src="${STUB}" data-controls="fancy" data-seed="-3" data-scenario="lost-ack"></div>
<div style="height:3000px"></div>
<div id="far" data-idempotence-lab data-src="${STUB}" data-scenario="epoch-bump"></div>
<div style="height:1500px"></div>
<script defer src="${MOUNT_SCRIPT}"></script></body></html>`,
  // The real app, through the mount script.
  'app.html': `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>host</title></head><body>
<h1>Docs page</h1>
<div id="lab" data-idempotence-lab data-scenario="lost-ack" data-controls="minimal"></div>
<div id="txn" data-idempotence-lab data-scenario="zombie-fencing" data-compare="1" data-height="200"></div>
<div style="height:3000px"></div>
<script defer src="${MOUNT_SCRIPT}"></script></body></html>`,
  // The real app in a plain iframe whose allow_origins does NOT include this page's origin.
  'foreign.html': `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>foreign</title></head><body>
<iframe id="f" title="lab" style="width:900px;height:600px" src="${A}index.html?embed=1&scenario=lost-ack&id=f&allow_origins=${encodeURIComponent('http://127.0.0.1:9')}"></iframe>
<script>
window.msgs = [];
addEventListener('message', (e) => { if (e.data && e.data.source === 'idempotence-lab') window.msgs.push(e.data); });
window.sendToFrame = (m) => document.getElementById('f').contentWindow.postMessage({ source: 'idempotence-lab-host', version: 1, ...m }, '*');
</script></body></html>`,
};

let browser;
before(async () => {
  if (skipAll) return;
  mkdirSync(fixturesDir, { recursive: true });
  writeFileSync(join(fixturesDir, 'stub-frame.html'), STUB_FRAME);
  for (const [name, body] of Object.entries(HOST_PAGES)) writeFileSync(join(fixturesDir, name), body);
  browser = await launchBrowser({ viewport: { width: 1000, height: 700 } });
});
after(async () => {
  await browser?.close();
});

const frameOf = (page, iframeSelector) => page.locator(iframeSelector).elementHandle().then((h) => h.contentFrame());
const inst = (page, id, expr) =>
  page.evaluate(([id, expr]) => {
    const i = window.IdempotenceLab.instances.find((x) => x.element.id === id);
    return new Function('i', `return (${expr});`)(i);
  }, [id, expr]);
async function waitInst(page, id, expr, timeout = 10_000) {
  try {
    await page.waitForFunction(
      ([id, expr]) => {
        const i = window.IdempotenceLab?.instances.find((x) => x.element.id === id);
        return i && new Function('i', `return (${expr});`)(i);
      },
      [id, expr],
      { timeout },
    );
  } catch (e) {
    const now = await page
      .evaluate((id) => {
        const i = window.IdempotenceLab?.instances.find((x) => x.element.id === id);
        return i && JSON.stringify({ ready: i.ready, height: i.height, state: i.state });
      }, id)
      .catch(() => '?');
    throw new Error(`#${id}: waited ${timeout} ms for \`${expr}\`; instance: ${now}`, { cause: e });
  }
}

describe('mount script against a stub frame', { skip: skipAll }, () => {
  test('renders lazily created, titled iframes pointing at the lab with the right parameters', async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    try {
      await page.goto(host('stub.html'));
      await page.locator('#one iframe').waitFor();
      const src = new URL(await page.locator('#one iframe').getAttribute('src'));
      assert.equal(src.origin + src.pathname, STUB.replace(/\?.*/, ''));
      const p = Object.fromEntries(src.searchParams);
      assert.deepEqual(p, {
        embed: '1',
        scenario: 'lost-ack',
        seed: '7',
        speed: '2',
        controls: 'minimal',
        theme: 'auto',
        id: 'one',
        allow_origins: originOf(B),
      });
      const attrs = await page.locator('#one iframe').evaluate((f) => ({
        title: f.title,
        loading: f.getAttribute('loading'),
        ariaHidden: f.getAttribute('aria-hidden'),
      }));
      assert.match(attrs.title, /Idempotent Producer Lab/);
      assert.equal(attrs.loading, 'lazy');
      assert.equal(attrs.ariaHidden, null);
      // default src: derived from the script's own URL (origin A), not the host page
      const two = new URL(await page.locator('#two iframe').getAttribute('src'));
      assert.equal(two.searchParams.get('theme'), 'light');
      assert.equal(two.searchParams.get('id'), 'two');

      // Far below the fold: a placeholder of stable height, no iframe yet.
      assert.equal(await page.locator('#far iframe').count(), 0);
      const box = await page.locator('#far .idempotence-lab-placeholder').boundingBox();
      assert.equal(Math.round(box.height), 480);
      await page.locator('#far').scrollIntoViewIfNeeded();
      await page.locator('#far iframe').waitFor();

      // Every instance sized itself from the frame's resize message.
      for (const id of ['one', 'two', 'far']) {
        await page.waitForFunction((id) => document.querySelector(`#${id} iframe`).clientHeight === 333, id);
      }
      errors.assertNone();
    } finally {
      await page.close();
    }
  });

  test('an invalid attribute shows a visible message and falls back to the default', async () => {
    const page = await browser.context.newPage();
    try {
      page.on('console', () => {}); // the script also console.warns
      await page.goto(host('stub.html'));
      const warning = page.locator('#bad .idempotence-lab-warning');
      await warning.waitFor();
      assert.equal(await warning.isVisible(), true);
      const text = await warning.textContent();
      assert.match(text, /data-controls="fancy" is not full, minimal or none/);
      assert.match(text, /data-seed="-3"/);
      const src = new URL(await page.locator('#bad iframe').getAttribute('src'));
      assert.equal(src.searchParams.has('controls'), false);
      assert.equal(src.searchParams.has('seed'), false);
      assert.equal(src.searchParams.get('scenario'), 'lost-ack');
    } finally {
      await page.close();
    }
  });

  test('play, seek, step and load reach only their own frame; state comes back', async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    try {
      await page.goto(host('stub.html'));
      await waitInst(page, 'one', 'i.ready && i.state');
      await waitInst(page, 'two', 'i.ready && i.state');
      await page.evaluate(() => {
        window.seen = [];
        window.IdempotenceLab.instances[0].on('state', (m) => window.seen.push(m.state.time_ms));
      });
      await inst(page, 'one', 'i.play()');
      await waitInst(page, 'one', 'i.state.playing === true');
      await inst(page, 'one', 'i.seek(250)');
      await waitInst(page, 'one', 'i.state.time_ms === 250');
      await inst(page, 'one', 'i.step()');
      await waitInst(page, 'one', 'i.state.time_ms === 255 && i.state.event_index === 1');
      await inst(page, 'one', 'i.load("epoch-bump", 3)');
      await waitInst(page, 'one', 'i.state.scenario === "epoch-bump" && i.state.seed === 3');
      assert.deepEqual(await page.evaluate(() => window.seen), [0, 250, 255, 0]);
      // The other lab heard nothing.
      assert.equal(await inst(page, 'two', 'i.state.playing'), false);
      assert.equal(await inst(page, 'two', 'i.state.time_ms'), 0);
      const f2 = await frameOf(page, '#two iframe');
      assert.deepEqual(await f2.evaluate(() => window.received), []);
      const f1 = await frameOf(page, '#one iframe');
      assert.deepEqual(await f1.evaluate(() => window.received), ['play', 'seek', 'step', 'load']);
      // destroy() removes one lab and leaves the others alone
      const n = await page.evaluate(() => window.IdempotenceLab.instances.length);
      await inst(page, 'two', 'i.destroy()');
      assert.equal(await page.locator('#two iframe').count(), 0);
      assert.equal(await page.evaluate(() => window.IdempotenceLab.instances.length), n - 1);
      await inst(page, 'one', 'i.pause()');
      await waitInst(page, 'one', 'i.state.playing === false');
      errors.assertNone();
    } finally {
      await page.close();
    }
  });

  test('pauses when scrolled off-screen and resumes only a lab that was playing', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(host('stub.html'));
      await waitInst(page, 'one', 'i.ready && i.state');
      await waitInst(page, 'two', 'i.ready && i.state');
      await inst(page, 'one', 'i.play()');
      await waitInst(page, 'one', 'i.state.playing === true');
      // two stays paused
      await page.evaluate(() => window.scrollTo(0, 2500));
      await waitInst(page, 'one', 'i.state.playing === false');
      // Off-screen, a new height waits: the page does not shift under the reader.
      const f1 = await frameOf(page, '#one iframe');
      await f1.evaluate(() => send({ type: 'resize', height: 400 }));
      await page.waitForTimeout(300);
      assert.equal(await inst(page, 'one', 'i.iframe.clientHeight'), 333, 'an off-screen lab keeps its size');
      await page.evaluate(() => window.scrollTo(0, 0));
      await waitInst(page, 'one', 'i.state.playing === true');
      await waitInst(page, 'one', 'i.iframe.clientHeight === 400');
      assert.deepEqual(await f1.evaluate(() => window.received), ['play', 'pause', 'play']);
      const f2 = await frameOf(page, '#two iframe');
      assert.deepEqual(await f2.evaluate(() => window.received), [], 'a paused lab is not resumed');
    } finally {
      await page.close();
    }
  });

  test('data-theme="auto" follows the host: <html data-theme> and prefers-color-scheme', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(host('stub.html'));
      await waitInst(page, 'one', 'i.ready');
      await waitInst(page, 'two', 'i.ready');
      const f1 = await frameOf(page, '#one iframe');
      const f2 = await frameOf(page, '#two iframe');
      await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
      await f1.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'dark');
      await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'));
      await f1.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'light');
      await page.evaluate(() => document.documentElement.removeAttribute('data-theme'));
      await f1.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'auto');
      // explicit per-instance theme wins and is not overridden by the host
      assert.equal(await f2.evaluate(() => document.documentElement.getAttribute('data-theme')), 'light');
      assert.ok(!(await f2.evaluate(() => window.received)).includes('set-theme'));
      await inst(page, 'two', 'i.setTheme("dark")');
      await f2.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'dark');
    } finally {
      await page.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The real app.

let appEmbedSkip = skipAll;
async function appAnswers() {
  if (skipAll) return false;
  const page = await browser.context.newPage();
  try {
    await page.goto(host('app.html'));
    await waitInst(page, 'lab', 'i.ready', 20_000);
    return true;
  } catch {
    return false;
  } finally {
    await page.close();
  }
}

describe('mount script against the real app (embed mode)', () => {
  before(async () => {
    if (!skipAll && !(await appAnswers())) {
      appEmbedSkip = 'the app did not send {type:"ready"} within 20 s: its embed mode (index.html?embed=1) is not in this build';
    }
  });

  test('renders the app, reports height, answers play/seek/step, follows the theme', async (t) => {
    if (appEmbedSkip) return t.skip(appEmbedSkip);
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    try {
      await page.goto(host('app.html'));
      await waitInst(page, 'lab', 'i.ready && i.state', 30_000);
      const frame = await frameOf(page, '#lab iframe');
      assert.equal(originOf(frame.url()), originOf(A));
      await frame.locator('#app-root').waitFor({ timeout: 30_000 });

      // resize: the iframe takes the height the app reported
      await waitInst(page, 'lab', 'i.height !== 480');
      // the iframe's viewport (inside its border) becomes exactly the reported content height
      await waitInst(page, 'lab', 'i.iframe.clientHeight === i.height');
      const reported = await inst(page, 'lab', 'i.height');
      assert.ok(reported > 200, `reported height ${reported}`);
      const scrolls = await frame.evaluate(() => document.documentElement.scrollHeight > innerHeight + 1);
      assert.equal(scrolls, false, 'no scrollbar inside the frame');

      await inst(page, 'lab', 'i.play()');
      await waitInst(page, 'lab', 'i.state.playing === true');
      await inst(page, 'lab', 'i.pause()');
      await waitInst(page, 'lab', 'i.state.playing === false');
      await inst(page, 'lab', 'i.seek(100)'); // lost-ack ends at 180 ms
      await waitInst(page, 'lab', 'i.state.time_ms === 100 && !i.state.finished');
      const before = await inst(page, 'lab', 'i.state.event_index');
      await inst(page, 'lab', 'i.step()');
      await waitInst(page, 'lab', `i.state.event_index > ${before}`);

      await inst(page, 'lab', 'i.setTheme("dark")');
      await frame.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'dark');
      const bg = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await inst(page, 'lab', 'i.setTheme("light")');
      await frame.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'light');
      assert.notEqual(await frame.evaluate(() => getComputedStyle(document.body).backgroundColor), bg);
      // host theme change -> frame follows (data-theme auto)
      await inst(page, 'lab', 'i.setTheme("auto")');
      await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
      await frame.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'dark');
      await screenshot(page, 'embed-host-app');
      errors.assertNone();
    } finally {
      await page.close();
    }
  });

  test('a combination the lab refuses (compare on a transaction preset) is named above the frame', async (t) => {
    if (appEmbedSkip) return t.skip(appEmbedSkip);
    const page = await browser.context.newPage();
    try {
      page.on('console', () => {}); // the script also console.warns
      await page.goto(host('app.html'));
      await waitInst(page, 'txn', 'i.ready', 30_000);
      const warning = page.locator('#txn .idempotence-lab-warning');
      await warning.waitFor();
      assert.match(await warning.textContent(), /compare=1 is not offered for “zombie-fencing”/);
      assert.equal(await page.locator('#lab .idempotence-lab-warning').count(), 0, 'a valid lab shows no warning');
    } finally {
      await page.close();
    }
  });

  test('ignores commands from an origin that is not in allow_origins', async (t) => {
    if (appEmbedSkip) return t.skip(appEmbedSkip);
    const page = await browser.context.newPage();
    try {
      page.on('console', () => {});
      await page.goto(host('foreign.html'));
      await page.waitForFunction(() => window.msgs.some((m) => m.type === 'ready'), null, { timeout: 30_000 });
      const count = await page.evaluate(() => window.msgs.filter((m) => m.type === 'state').length);
      await page.evaluate(() => {
        window.sendToFrame({ type: 'play' });
        window.sendToFrame({ type: 'seek', time_ms: 500 });
        window.sendToFrame({ type: 'set-theme', theme: 'dark' });
      });
      await page.waitForTimeout(1500);
      const states = await page.evaluate(() => window.msgs.filter((m) => m.type === 'state'));
      assert.equal(states.length, count, 'no state change was reported');
      assert.ok(states.every((m) => !m.state.playing && m.state.time_ms !== 500));
      const frame = await frameOf(page, '#f');
      assert.notEqual(await frame.evaluate(() => document.documentElement.getAttribute('data-theme')), 'dark');
    } finally {
      await page.close();
    }
  });
});

describe('examples page', { skip: skipAll }, () => {
  for (const { name, width, height } of [
    { name: 'desktop', width: 1280, height: 800 },
    { name: 'phone', width: 375, height: 812 },
  ]) {
    test(`renders its live labs without errors (${width} px); screenshot`, async () => {
      const page = await browser.context.newPage();
      const errors = collectErrors(page);
      try {
        await page.setViewportSize({ width, height });
        await page.goto(`${A}examples/`);
        // the snippets show this site's address
        const snippet = await page.locator('#mount ~ .snippet code').first().textContent();
        assert.ok(snippet.includes(`${A}embed/idempotence-lab.js`), snippet);
        assert.equal(await page.locator('code[data-snippet]', { hasText: '{{SITE}}' }).count(), 0);
        // scroll through so both mounted labs load, then check them
        for (const id of ['lab-a', 'lab-b']) {
          await page.locator(`#${id}`).scrollIntoViewIfNeeded();
          await waitInst(page, id, 'i.ready && i.state', 30_000);
        }
        const frameA = await frameOf(page, '#lab-a iframe');
        await frameA.locator('#app-root').waitFor({ timeout: 30_000 });
        // the page's host controls drive lab A only
        await page.locator('#lab-a').scrollIntoViewIfNeeded();
        await page.click('#lab-a-controls [data-cmd="step"]');
        await waitInst(page, 'lab-a', 'i.state.event_index > 0');
        await page.locator('#lab-a-status').getByText(/event \d+/).waitFor();
        // the page's own theme switch -> labs with data-theme auto follow
        await page.click('#host-theme'); // auto -> light
        await page.click('#host-theme'); // light -> dark
        await frameA.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'dark');
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        await screenshot(page, `examples-${name}-${width}-dark`);
        await page.click('#host-theme'); // dark -> auto (light here)
        await frameA.waitForFunction(() => document.documentElement.getAttribute('data-theme') !== 'dark');
        await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
        await screenshot(page, `examples-${name}-${width}`);
        errors.assertNone();
      } finally {
        await page.close();
      }
    });
  }
});
