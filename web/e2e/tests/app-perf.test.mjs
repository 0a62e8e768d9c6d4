// Performance probe (reports numbers; no pass/fail thresholds):
//  - p50/p95/max frame time over ~3 s of playing a busy inline scenario (5 producers, 12
//    partitions on 3 brokers, 150 ms latency: ~200 records on the wire), from
//    requestAnimationFrame timestamps;
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
