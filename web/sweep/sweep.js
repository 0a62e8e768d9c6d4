// The sweep view: plans a sweep with the JS API, spreads its runs over a pool of Web Workers
// (one per core by default), and charts each measure's mean and 95 % interval per series.
// The chart is SVG drawn here: a few lines, bands and axes do not need a charting library's
// weight. The page state lives in the URL, like the player's.
import init, { Sweep, sweepPresets } from './engine/idempotence_wasm.js';

const MEASURES = [
  ['duplicates_written', 'duplicates written (records)'],
  ['acked_then_lost', 'acknowledged, then lost (messages)'],
  ['reorderings', 'out of order (messages)'],
  ['failed', 'sends failed (messages)'],
  ['latency_p50_ms', 'send → ack latency, median (ms)'],
  ['latency_p99_ms', 'send → ack latency, 99th percentile (ms)'],
];
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = {
  preset: params.get('sweep') ?? 'lost-responses',
  measure: params.get('measure'),
  seeds: params.get('seeds'),
  workers: params.get('workers'),
  log: params.get('log') === '1',
  run: null, // {sweep, measures, result, stats}
  pool: null,
  startNotices: [],
};
if (['dark', 'light'].includes(params.get('theme'))) document.documentElement.dataset.theme = params.get('theme');

function notice(text) {
  $('notice').textContent = text ?? '';
  $('notice').classList.toggle('shown', Boolean(text));
}

function clampInt(value, lo, hi, fallback) {
  const n = Number(value);
  return Number.isInteger(n) && n >= lo && n <= hi ? n : fallback;
}

function syncUrl() {
  const q = new URLSearchParams({ view: 'sweep', sweep: state.preset, measure: $('measure').value,
    seeds: $('seeds').value, workers: $('workers').value });
  if ($('log-scale').checked) q.set('log', '1');
  if (params.get('theme')) q.set('theme', params.get('theme'));
  history.replaceState(null, '', `?${q}`);
}

// ---------------------------------------------------------------------------------------------
// The pool.

class Pool {
  constructor(size) {
    this.workers = Array.from({ length: size }, () => new Worker(new URL('worker.js', import.meta.url), { type: 'module' }));
  }

  /// Runs `total` runs of `specText` in slices; `onProgress(done)`; resolves with every run's
  /// measures in run order.
  run(specText, total, onProgress) {
    const slice = Math.max(1, Math.min(200, Math.ceil(total / (this.workers.length * 8))));
    const queue = [];
    for (let from = 0; from < total; from += slice) queue.push([from, Math.min(total, from + slice)]);
    const measures = new Array(total);
    let done = 0;
    return new Promise((resolve, reject) => {
      const feed = (worker) => {
        const next = queue.shift();
        if (next) worker.postMessage({ id: next[0], spec: specText, from: next[0], to: next[1] });
      };
      for (const worker of this.workers) {
        worker.onmessage = ({ data }) => {
          if (data.error) { reject(new Error(data.error)); return; }
          data.measures.forEach((m, i) => { measures[data.from + i] = m; });
          done += data.measures.length;
          onProgress(done);
          if (done === total) resolve(measures); else feed(worker);
        };
        worker.onerror = (e) => reject(new Error(e.message || 'a worker failed'));
        feed(worker);
      }
    });
  }

  stop() { this.workers.forEach((w) => w.terminate()); }
}

// ---------------------------------------------------------------------------------------------
// Running.

/// A preset's spec. The planned sweep is freed at once: its wasm memory is not the GC's.
function presetSpec(name) {
  const planned = new Sweep(name);
  try {
    return planned.spec();
  } finally {
    planned.free();
  }
}

async function run() {
  cancel(false);
  notice(state.startNotices.join(' ') || null);
  let sweep;
  try {
    const spec = presetSpec(state.preset);
    spec.seeds = clampInt($('seeds').value, 1, 10000, spec.seeds);
    sweep = new Sweep(spec);
  } catch (e) {
    notice(`This sweep cannot run: ${e.message}`);
    return;
  }
  const specText = JSON.stringify(sweep.spec());
  const total = sweep.runCount;
  const workers = clampInt($('workers').value, 1, 16, 2);
  syncUrl();
  $('run').disabled = true;
  $('cancel').disabled = false;
  $('progress').max = total;
  $('progress').value = 0;
  const started = performance.now();
  const pool = new Pool(workers);
  state.pool = pool;
  const status = (done) => `${done.toLocaleString('en')} / ${total.toLocaleString('en')} runs · ${workers} worker${workers > 1 ? 's' : ''} · ${((performance.now() - started) / 1000).toFixed(1)} s`;
  $('status').textContent = status(0);
  try {
    const measures = await pool.run(specText, total, (done) => {
      $('progress').value = done;
      $('status').textContent = status(done);
    });
    if (state.pool !== pool) return;
    const ms = performance.now() - started;
    const result = sweep.result(measures);
    state.run?.sweep.free();
    state.run = { sweep, measures, result, stats: { runs: total, ms, workers }, links: new Map() };
    window.__sweep = { stats: state.run.stats, measures };
    $('status').textContent = `${total.toLocaleString('en')} runs in ${(ms / 1000).toFixed(2)} s on ${workers} worker${workers > 1 ? 's' : ''}`;
    render();
  } catch (e) {
    if (state.pool === pool) notice(`The sweep stopped: ${e.message}`);
  } finally {
    if (state.pool === pool) { pool.stop(); state.pool = null; }
    $('run').disabled = false;
    $('cancel').disabled = true;
  }
}

function cancel(say = true) {
  if (!state.pool) return;
  state.pool.stop();
  state.pool = null;
  $('run').disabled = false;
  $('cancel').disabled = true;
  if (say) $('status').textContent = `Cancelled at ${$('progress').value.toLocaleString('en')} runs.`;
}

// ---------------------------------------------------------------------------------------------
// The chart.

const SVG = 'http://www.w3.org/2000/svg';
function el(name, attrs = {}, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  parent?.appendChild(node);
  return node;
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
}

function format(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en');
  if (a >= 10) return (Math.round(v * 10) / 10).toString();
  return (Math.round(v * 1000) / 1000).toString();
}

/// The x positions: by value when every x is a number in increasing order, else evenly.
function xScale(xs, left, width) {
  const numeric = xs.every((x) => typeof x === 'number') && xs.every((x, i) => i === 0 || x > xs[i - 1]);
  if (numeric && xs.length > 1) {
    const [lo, hi] = [xs[0], xs[xs.length - 1]];
    return { numeric, at: (x) => left + ((x - lo) / (hi - lo)) * width, ticks: tickValues(lo, hi) };
  }
  const step = xs.length > 1 ? width / (xs.length - 1) : 0;
  return { numeric: false, at: (_, i) => left + (xs.length > 1 ? i * step : width / 2), ticks: xs.map((x, i) => [x, i]) };
}

function tickValues(lo, hi) {
  const step = niceStep(hi - lo, 5);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step / 1e6; v += step) ticks.push([Number(v.toPrecision(10))]);
  return ticks;
}

function yScale(max, log, top, height) {
  if (log) {
    const t = (v) => Math.log10(1 + Math.max(0, v));
    const tmax = Math.max(1, t(max));
    const ticks = [0];
    for (let p = 1; p <= 10 ** Math.ceil(tmax); p *= 10) ticks.push(p);
    return { at: (v) => top + height - (t(v) / Math.ceil(tmax)) * height, ticks: ticks.filter((v) => t(v) <= Math.ceil(tmax)) };
  }
  const step = niceStep(Math.max(max, 1e-9), 5);
  const top_ = Math.max(step, Math.ceil(max / step) * step);
  const ticks = [];
  for (let v = 0; v <= top_ + step / 1e6; v += step) ticks.push(Number(v.toPrecision(10)));
  return { at: (v) => top + height - (v / top_) * height, ticks };
}

/// The link to one run of a point: the first of its runs with `measure` above 0 (else its
/// first run). Built once per point and measure, not on every redraw.
function runHref(point, measure) {
  const key = `${point}/${measure}`;
  const cached = state.run.links.get(key);
  if (cached) return cached;
  const { sweep, measures } = state.run;
  const seeds = sweep.seeds;
  let seed = 0;
  for (let k = 0; k < seeds; k++) {
    if (measures[point * seeds + k][measure] > 0) { seed = k; break; }
  }
  const scenario = sweep.scenario(point, seed);
  const link = [`../?scenario=${encodeURIComponent(JSON.stringify(scenario))}`, seed];
  state.run.links.set(key, link);
  return link;
}

function render() {
  if (!state.run) return;
  const { result } = state.run;
  const measure = $('measure').value;
  const label = MEASURES.find(([m]) => m === measure)?.[1] ?? measure;
  const log = $('log-scale').checked;
  $('question').textContent = result.title;
  $('finding').textContent = result.finding;
  const box = $('chart');
  const W = Math.max(300, Math.min(1000, box.clientWidth || 640));
  const H = W < 500 ? 300 : 380;
  const m = { left: W < 500 ? 46 : 60, right: 14, top: 12, bottom: 48 };
  const [pw, ph] = [W - m.left - m.right, H - m.top - m.bottom];
  const xs = result.series[0]?.points.map((p) => p.x) ?? [];
  const x = xScale(xs, m.left, pw);
  const max = Math.max(0, ...result.series.flatMap((s) => s.points.map((p) => p.stats[measure].hi)));
  const y = yScale(max, log, m.top, ph);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${label} against ${result.x_label}` });
  for (const v of y.ticks) {
    el('line', { class: 'grid', x1: m.left, x2: W - m.right, y1: y.at(v), y2: y.at(v) }, svg);
    el('text', { x: m.left - 6, y: y.at(v) + 4, 'text-anchor': 'end' }, svg).textContent = format(v);
  }
  const every = Math.ceil(x.ticks.length / Math.max(2, Math.floor(pw / 70)));
  x.ticks.forEach(([v, i], n) => {
    if (n % every) return;
    const at = x.at(v, i);
    el('line', { class: 'axis', x1: at, x2: at, y1: m.top + ph, y2: m.top + ph + 5 }, svg);
    el('text', { x: at, y: m.top + ph + 18, 'text-anchor': 'middle' }, svg).textContent = typeof v === 'number' ? format(v) : String(v);
  });
  el('line', { class: 'axis', x1: m.left, x2: W - m.right, y1: m.top + ph, y2: m.top + ph }, svg);
  el('text', { class: 'axis-label', x: m.left + pw / 2, y: H - 8, 'text-anchor': 'middle' }, svg).textContent = result.x_label;
  el('text', { class: 'axis-label', x: 12, y: m.top + ph / 2, transform: `rotate(-90 12 ${m.top + ph / 2})`, 'text-anchor': 'middle' }, svg).textContent = log ? `${label}, log` : label;
  const legend = $('legend');
  legend.replaceChildren();
  const xCount = xs.length;
  result.series.forEach((series, s) => {
    const color = `var(--s${s % 8})`;
    const pts = series.points.map((p, i) => [x.at(p.x, i), p.stats[measure]]);
    const band = [...pts.map(([px, e]) => `${px},${y.at(e.hi)}`), ...pts.slice().reverse().map(([px, e]) => `${px},${y.at(e.lo)}`)];
    el('polygon', { points: band.join(' '), fill: color, 'fill-opacity': 0.16, stroke: 'none' }, svg);
    el('polyline', { points: pts.map(([px, e]) => `${px},${y.at(e.mean)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2.2 }, svg);
    series.points.forEach((p, i) => {
      const point = s * xCount + i;
      const [href, seed] = runHref(point, measure);
      const e = p.stats[measure];
      const a = el('a', { href, 'data-point': point, 'data-series': s, 'aria-label': `${series.label} at ${p.x}: ${format(e.mean)}; open seed ${seed} of this point in the player` }, svg);
      el('circle', { cx: pts[i][0], cy: y.at(e.mean), r: 4.5, fill: color }, a);
      el('title', {}, a).textContent = `${series.label} · ${result.x_label} = ${p.x}\n${label}: ${format(e.mean)} (95 %: ${format(e.lo)}–${format(e.hi)}) over ${p.stats.runs} runs\n${p.stats.runs_with_anomalies} runs with a duplicate, a loss or a reordering\nClick: open run ${seed} of this point in the player`;
    });
    const item = document.createElement('span');
    item.innerHTML = `<i style="background:${color}"></i>`;
    item.append(series.label);
    legend.append(item);
  });
  box.replaceChildren(svg);
  renderTable(result, measure, label);
  $('csv').disabled = false;
}

function renderTable(result, measure, label) {
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const h of ['series', result.x_label, 'runs', `${label}: mean`, '95 % interval', 'runs with anomalies']) {
    const th = document.createElement('th');
    th.textContent = h;
    head.append(th);
  }
  const body = table.createTBody();
  for (const s of result.series) {
    for (const p of s.points) {
      const e = p.stats[measure];
      const row = body.insertRow();
      for (const v of [s.label, String(p.x), p.stats.runs, format(e.mean), `${format(e.lo)} – ${format(e.hi)}`, p.stats.runs_with_anomalies]) {
        row.insertCell().textContent = v;
      }
    }
  }
  $('table').replaceChildren(table);
}

function downloadCsv() {
  if (!state.run) return;
  const csv = state.run.sweep.resultCsv(state.run.measures);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  a.download = `${state.preset}.csv`;
  a.click();
  URL.revokeObjectURL(a.href);
}

// ---------------------------------------------------------------------------------------------
// Start.

async function main() {
  await init();
  const presets = sweepPresets();
  if (!presets.some((p) => p.name === state.preset)) {
    state.startNotices.push(`Unknown sweep “${state.preset}”; showing “${presets[0].name}”. Known: ${presets.map((p) => p.name).join(', ')}.`);
    state.preset = presets[0].name;
  }
  for (const p of presets) $('sweep-preset').append(new Option(p.name, p.name, false, p.name === state.preset));
  for (const [m, label] of MEASURES) $('measure').append(new Option(label, m));
  const loadPreset = (keepParams) => {
    const spec = presetSpec(state.preset);
    $('question').textContent = spec.title;
    $('finding').textContent = spec.finding;
    const measure = keepParams && MEASURES.some(([m]) => m === state.measure) ? state.measure : spec.measure;
    $('measure').value = measure;
    $('seeds').value = keepParams ? clampInt(state.seeds, 1, 10000, spec.seeds) : spec.seeds;
  };
  loadPreset(true);
  if (state.measure && !MEASURES.some(([m]) => m === state.measure)) {
    state.startNotices.push(`Unknown measure “${state.measure}”; showing “${$('measure').value}”.`);
  }
  notice(state.startNotices.join(' ') || null);
  const cores = clampInt(navigator.hardwareConcurrency, 1, 16, 2);
  $('workers').value = clampInt(state.workers, 1, 16, cores);
  $('log-scale').checked = state.log;
  $('sweep-preset').onchange = () => {
    state.preset = $('sweep-preset').value;
    state.run?.sweep.free();
    state.run = null;
    state.startNotices = [];
    loadPreset(false);
    syncUrl();
    run();
  };
  $('measure').onchange = () => { syncUrl(); render(); };
  $('log-scale').onchange = () => { syncUrl(); render(); };
  $('run').onclick = run;
  $('cancel').onclick = () => cancel(true);
  $('csv').onclick = downloadCsv;
  // A resize redraws once per frame at most.
  let redraw = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(redraw);
    redraw = requestAnimationFrame(render);
  });
  $('status').textContent = 'Ready.';
  if (params.get('autorun') !== '0') run();
}

main().catch((e) => notice(`The sweep view could not start: ${e.message}`));
