// Performance probe (reports numbers; no pass/fail thresholds):
//  - p50/p95/max frame time over ~3 s of playing a busy inline scenario (5 producers, 12
//    partitions on 3 brokers, 150 ms latency: ~200 records on the wire), from
//    requestAnimationFrame timestamps (these cannot drop below the 16.7 ms vsync), and the
//    renderer main thread's busy time per 16.7 ms window from a Chromium trace (frame_work_ms:
//    how much of each frame the page uses);
//  - time to first render: navigation start → #app-root with the stage drawn;
//  - transferred size of the page (wasm, JS, CSS, HTML) as served, and gzip -9 of the same
//    dist files (what a static host would send compressed).
//  - long tasks (PerformanceObserver 'longtask', > 50 ms) over 10 s of playing the busy scenario;
//  - seek and step back in a ~145,000-event run (7 producers × 5,000 messages, 3 replicas,
//    2 % of responses lost): time from the input event to the frame after it was painted
//    (requestAnimationFrame, then a task), p50/p95/max over scattered targets;
//  - memory while a preset replays in a loop at 16× (PROBE_LOOP_S seconds, 20 by default; the
//    10-minute soak is `PROBE_LOOP_S=600`): JS heap (CDP Runtime.getHeapUsage after a GC) and
//    the wasm linear memory, at the start and at the end.
// Printed with console.log and written to web/e2e/artifacts/perf.json (the busy-scenario figures)
// and perf-playback.json (seek, step back, memory).

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

const LONG = {
  name: 'long-145k-events',
  seed: 3,
  duration_ms: 600000,
  cluster: { brokers: 3, partitions: 3, 'replication.factor': 3, 'min.insync.replicas': 2 },
  random_faults: { drop_response: 0.02 },
  producers: Array.from({ length: 7 }, () => ({ config: { 'batch.size': 2 }, workload: { messages: 5000, interval_ms: 2 } })),
};

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
    // Record when the stage is first drawn, relative to navigation start, and every long task.
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
      }).observe({ type: 'longtask', buffered: true });
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
    // 10 s of playing in all (3 s sampled, 2 s traced, 5 s more): the long tasks in that window.
    await page.waitForTimeout(5000);
    const longTasks = await page.evaluate((from) => window.__longTasks.filter((t) => t.start >= from).map((t) => t.ms), sample.stamps[0]);
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
      long_tasks_while_playing_10s: { count: longTasks.length, max_ms: round(Math.max(0, ...longTasks)) },
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

/** Milliseconds from `act()` (which fires an input) to the frame after it was painted. */
async function timeToPaint(page, act) {
  return page.evaluate(
    (act) =>
      new Promise((done) => {
        const t0 = performance.now();
        new Function(act)();
        requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
      }),
    act,
  );
}

const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: round(pct(s, 50)), p95: round(pct(s, 95)), max: round(s.at(-1)) };
};

test('performance probe: seek and step back in a ~145k-event run, memory over looping replays', async () => {
  const page = await browser.context.newPage();
  try {
    const errors = collectErrors(page);
    await page.addInitScript(() => {
      addEventListener('TrunkApplicationStarted', (e) => (window.__wasm = e.detail.wasm));
    });
    const url = `${baseUrl}?scenario=${encodeURIComponent(JSON.stringify(LONG))}&autoplay=0`;
    const loadStart = Date.now();
    await page.goto(url);
    await page.locator('#app-root #stage').waitFor({ timeout: 120_000 });
    const stageMs = Date.now() - loadStart;
    // The whole run explored: "event N of M" without a trailing "+".
    await page.waitForFunction(() => /event \d+ of \d+$/.test(document.querySelector('#status')?.textContent.trim()), null, {
      timeout: 300_000,
      polling: 200,
    });
    const exploredMs = Date.now() - loadStart;
    const total = Number((await page.locator('#status').textContent()).match(/of (\d+)/)[1]);
    const endMs = Number(await page.locator('#timeline').getAttribute('max'));
    assert.ok(total > 100_000, `a long run (${total} events)`);

    // Scattered seeks: forwards and backwards across the whole run.
    const targets = [0.9, 0.1, 0.5, 0.95, 0.3, 0.7, 0.05, 0.6, 0.2, 0.8, 0.4, 0.99, 0.15, 0.65, 0.35, 0.85, 0.45, 0.75, 0.25, 0.55];
    const seeks = [];
    for (const f of targets.slice(0, Number(process.env.PROBE_SEEKS ?? targets.length))) {
      const t = Math.floor(f * endMs);
      const act = `const i = document.querySelector('#timeline'); i.value = '${t}'; i.dispatchEvent(new Event('input', { bubbles: true }));`;
      seeks.push(await timeToPaint(page, act));
    }
    // Step back at scattered places (a seek there first, not timed). The app before the
    // Timeline replayed the run from the start per step: PROBE_SEEKS and PROBE_STEP_BACKS
    // bound the samples for such a build.
    const stepBacks = [];
    const backs = Number(process.env.PROBE_STEP_BACKS ?? 12);
    for (const f of targets.slice(0, backs)) {
      await timeToPaint(page, `const i = document.querySelector('#timeline'); i.value = '${Math.floor(f * endMs)}'; i.dispatchEvent(new Event('input', { bubbles: true }));`);
      const before = await page.locator('#status').textContent();
      stepBacks.push(await timeToPaint(page, `document.querySelector('#step-back').click();`));
      const after = await page.locator('#status').textContent();
      const n = (s) => Number(s.match(/event (\d+)/)[1]);
      assert.ok(n(after) < n(before) || n(before) === 0, `stepped back: ${before} → ${after}`);
    }

    // Memory over looping replays of a preset at 16×.
    const cdp = await browser.context.newCDPSession(page);
    const memory = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      const wasm = await page.evaluate(() => window.__wasm?.memory?.buffer.byteLength ?? 0);
      return { js_heap_bytes: usedSize, wasm_memory_bytes: wasm };
    };
    await page.goto(`${baseUrl}?scenario=failover-replicated&speed=16`);
    await page.locator('#app-root #stage').waitFor();
    await page.waitForFunction(() => document.querySelector('#status')?.textContent.includes('finished'), null, { timeout: 60_000 });
    const start = await memory();
    const loopS = Number(process.env.PROBE_LOOP_S ?? 20);
    const until = Date.now() + loopS * 1000;
    let replays = 0;
    while (Date.now() < until) {
      await page.locator('#play').click();
      await page.waitForFunction(() => document.querySelector('#status')?.textContent.includes('finished'), null, { timeout: 60_000 });
      replays++;
    }
    const end = await memory();
    await cdp.detach();

    const result = {
      scenario: LONG.name,
      events: total,
      end_ms: endMs,
      stage_drawn_ms: stageMs,
      whole_run_explored_ms: exploredMs,
      seek_to_paint_ms: summary(seeks),
      step_back_to_paint_ms: summary(stepBacks),
      memory_loop: { seconds: loopS, replays, start, end, js_heap_change: round((100 * (end.js_heap_bytes - start.js_heap_bytes)) / start.js_heap_bytes) + ' %' },
      measured_at: new Date().toISOString(),
    };
    console.log(`perf-playback: ${JSON.stringify(result, null, 2)}`);
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(join(artifactsDir, 'perf-playback.json'), `${JSON.stringify(result, null, 2)}\n`);
    errors.assertNone();
  } finally {
    await page.close();
  }
});
