// Performance probe (reports numbers; no pass/fail thresholds):
//  - p50/p95/max frame time over ~3 s of playing a busy inline scenario (5 producers, 12
//    partitions on 3 brokers, 150 ms latency: ~200 records on the wire), from
//    requestAnimationFrame timestamps (these cannot drop below the 16.7 ms vsync), and the
//    renderer main thread's busy time per 16.7 ms window from a Chromium trace (frame_work_ms:
//    how much of each frame the page uses);
//  - time to first render: navigation start → #app-root with the stage drawn;
//  - transferred size of the page (wasm, JS, CSS, HTML) as served, and gzip -9 of the same
//    dist files (what a static host would send compressed).
// Printed with console.log and written to web/e2e/artifacts/perf.json.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launchBrowser, baseUrl, artifactsDir, collectErrors } from '../lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : resolve(here, '../../../dist');

const producer = { config: { 'batch.size': 2 }, workload: { messages: 150, interval_ms: 8 } };
const BUSY = {
  name: 'perf-200-in-flight',
  seed: 7,
  duration_ms: 20000,
  cluster: { brokers: 3, partitions: 12 },
  network: { latency_ms: 150, jitter_ms: 20 },
  producers: [producer, producer, producer, producer, producer],
};

/**
 * Busy time of the busiest renderer main thread per 16.7 ms window (p50/p95/max), and its
 * share of the traced time, from top-level RunTask slices of a Chromium trace.
 */
function frameWork(events) {
  const key = (e) => `${e.pid}:${e.tid}`;
  // Renderer main threads: the ones that run script, layout or animation frames.
  const mains = new Set(
    events.filter((e) => ['FireAnimationFrame', 'Layout', 'FunctionCall'].includes(e.name)).map(key),
  );
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !/(^|::)RunTask$/.test(e.name) || !mains.has(key(e)) || !e.dur) continue;
    if (!byThread.has(key(e))) byThread.set(key(e), []);
    byThread.get(key(e)).push(e);
  }
  const total = (xs) => xs.reduce((a, e) => a + e.dur, 0);
  const busiest = [...byThread.values()].sort((a, b) => total(b) - total(a))[0] ?? [];
  // Top-level slices only (clip any nested or overlapping ones).
  const tasks = [];
  for (const e of busiest.sort((a, b) => a.ts - b.ts)) {
    const end = tasks.length ? tasks.at(-1).ts + tasks.at(-1).dur : -Infinity;
    const ts = Math.max(e.ts, end);
    if (e.ts + e.dur > ts) tasks.push({ ts, dur: e.ts + e.dur - ts });
  }
  if (tasks.length === 0) return null;
  const start = Math.min(...tasks.map((e) => e.ts));
  const end = Math.max(...tasks.map((e) => e.ts + e.dur));
  const win = 1e6 / 60;
  const n = Math.max(1, Math.ceil((end - start) / win));
  const busy = new Array(n).fill(0);
  for (const e of tasks) {
    const first = Math.floor((e.ts - start) / win);
    const last = Math.min(n - 1, Math.floor((e.ts + e.dur - start) / win));
    for (let i = first; i <= last; i++) {
      const from = Math.max(e.ts, start + i * win);
      const to = Math.min(e.ts + e.dur, start + (i + 1) * win);
      busy[i] += Math.max(0, to - from);
    }
  }
  const ms = busy.map((us) => us / 1000).sort((a, b) => a - b);
  return {
    p50: round(pct(ms, 50)),
    p95: round(pct(ms, 95)),
    max: round(ms.at(-1)),
    busy_share: Math.round((1000 * total(tasks)) / (end - start)) / 1000,
  };
}

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (x) => Math.round(x * 10) / 10;

test('performance probe: frame times with ~200 records in flight, first render, page weight', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    const transferred = {};
    page.on('response', async (r) => {
      const path = new URL(r.url()).pathname;
      const kind = path.endsWith('.wasm') ? 'wasm' : path.endsWith('.js') ? 'js' : path.endsWith('.css') ? 'css' : 'html';
      try {
        const body = await r.body();
        transferred[kind] = (transferred[kind] ?? 0) + body.length;
      } catch {
        /* redirects have no body */
      }
    });
    // Record when the stage is first drawn, relative to navigation start.
    await page.addInitScript(() => {
      const seen = () => {
        const stage = document.querySelector('#app-root #stage');
        if (stage && stage.getBoundingClientRect().height > 0) {
          window.__firstRenderMs = performance.now();
          return true;
        }
        return false;
      };
      new MutationObserver((_, obs) => seen() && obs.disconnect()).observe(document, {
        childList: true,
        subtree: true,
      });
    });
    const url = `${baseUrl}?scenario=${encodeURIComponent(JSON.stringify(BUSY))}&speed=1`;
    await page.goto(url);
    await page.locator('#app-root #stage').waitFor({ timeout: 30_000 });
    const firstRenderMs = await page.evaluate(() => window.__firstRenderMs);
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return { domContentLoadedMs: n.domContentLoadedEventEnd, loadMs: n.loadEventEnd };
    });
    assert.equal(await page.locator('#preset').inputValue(), 'perf-200-in-flight');

    // Wait until the wire is busy, then sample frames for 3 s while it plays.
    await page.waitForFunction(
      () => Number(document.querySelector('#stage')?.dataset.recordsInFlight ?? 0) >= 120,
      null,
      { timeout: 60_000, polling: 50 },
    );
    const sample = await page.evaluate(
      () =>
        new Promise((done) => {
          const stamps = [];
          let inFlightMax = 0;
          let messagesMax = 0;
          const t0 = performance.now();
          const frame = (t) => {
            stamps.push(t);
            const stage = document.querySelector('#stage');
            inFlightMax = Math.max(inFlightMax, Number(stage?.dataset.recordsInFlight ?? 0));
            messagesMax = Math.max(messagesMax, Number(stage?.dataset.messages ?? 0));
            if (t - t0 < 3000) requestAnimationFrame(frame);
            else done({ stamps, inFlightMax, messagesMax, status: document.querySelector('#status').textContent });
          };
          requestAnimationFrame(frame);
        }),
    );
    // Main-thread work per frame: a Chromium trace over the next 2 s (after the rAF sample,
    // as tracing slows frames down), the renderer main thread's top-level tasks (script,
    // style, layout, paint) summed per 16.7 ms window. rAF deltas cannot go below the 60 Hz
    // vsync; this shows how much of each frame the page uses (tracing overhead included).
    const cdp = await browser.context.newCDPSession(page);
    const traceEvents = [];
    cdp.on('Tracing.dataCollected', ({ value }) => traceEvents.push(...value));
    const traced = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.start', { categories: 'devtools.timeline,toplevel', transferMode: 'ReportEvents' });
    await page.waitForTimeout(2000);
    await cdp.send('Tracing.end');
    await traced;
    await cdp.detach();
    const work = frameWork(traceEvents);
    const deltas = sample.stamps.slice(1).map((t, i) => t - sample.stamps[i]).sort((a, b) => a - b);
    assert.ok(deltas.length > 10, 'frames were drawn');

    // Page weight: as transferred (this server sends files uncompressed), and gzip -9 of dist.
    const gzip = {};
    const raw = {};
    for (const f of readdirSync(dist)) {
      const kind = f.endsWith('.wasm') ? 'wasm' : f.endsWith('.js') ? 'js' : f.endsWith('.css') ? 'css' : f.endsWith('.html') ? 'html' : null;
      if (!kind) continue;
      const bytes = readFileSync(join(dist, f));
      raw[kind] = (raw[kind] ?? 0) + bytes.length;
      gzip[kind] = (gzip[kind] ?? 0) + gzipSync(bytes, { level: 9 }).length;
    }
    const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);

    const result = {
      scenario: BUSY.name,
      frames: deltas.length,
      frame_ms: { p50: round(pct(deltas, 50)), p95: round(pct(deltas, 95)), max: round(deltas.at(-1)) },
      frame_work_ms: work,
      records_in_flight_max: sample.inFlightMax,
      messages_on_stage_max: sample.messagesMax,
      first_render_ms: round(firstRenderMs),
      dom_content_loaded_ms: round(nav.domContentLoadedMs),
      transferred_bytes: { ...transferred, total: sum(transferred) },
      dist_raw_bytes: { ...raw, total: sum(raw) },
      dist_gzip9_bytes: { ...gzip, total: sum(gzip) },
      status_after_sampling: sample.status.trim(),
      measured_at: new Date().toISOString(),
    };
    console.log(`perf: ${JSON.stringify(result, null, 2)}`);
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(join(artifactsDir, 'perf.json'), `${JSON.stringify(result, null, 2)}\n`);
    errors.assertNone();
  } finally {
    await page.close();
  }
});
