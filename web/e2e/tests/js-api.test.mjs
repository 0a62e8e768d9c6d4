// The JS API package for docs pages (dist/lab/idempotence_wasm.{js,_bg.wasm,d.ts}, built by
// `cargo xtask build-lab`, trunk's post_build hook): loaded in a real page, run, checked.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, copyFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, url, subpathUrl, collectErrors, screenshot } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const GOLDEN = readFileSync(new URL('../../../crates/sim/tests/golden/lost-ack.report.json', import.meta.url), 'utf8');

/** Imports lab/idempotence_wasm.js relative to the current page and runs `fn` with it. */
async function withLab(page, fn, arg) {
  return page.evaluate(
    async ([source, arg]) => {
      const mod = await import(new URL('../lab/idempotence_wasm.js', location.href).href);
      await mod.default();
      // eslint-disable-next-line no-new-func
      return new Function('mod', 'arg', `return (${source})(mod, arg);`)(mod, arg);
    },
    [fn.toString(), arg],
  );
}

test('lost-ack runs to the end in the page: 10 records, invariants hold, report = native golden', async () => {
  const { page } = browser;
  const errors = collectErrors(page);
  await page.goto(url('examples/'));
  const result = await withLab(page, ({ Lab, presets, version }) => {
    const lab = Lab.fromPreset('lost-ack');
    const steps = lab.stepN(5);
    const midway = { steps, now: lab.nowMs, finished: lab.finished };
    lab.runToEnd();
    const report = lab.report();
    return {
      midway,
      finished: lab.finished,
      log: report.partitions[0].log,
      records: report.records.map((r) => r.status),
      invariants: lab.invariants(),
      counters: lab.counters(),
      reportJson: lab.reportJson(),
      presets: presets().map((p) => p.id),
      version: version(),
      scenarioName: lab.scenario().name,
    };
  });
  assert.equal(result.midway.steps, 5);
  assert.equal(result.midway.finished, false);
  assert.equal(result.finished, true);
  assert.equal(result.log.length, 10, 'the partition log holds exactly the 10 messages');
  assert.deepEqual(result.log.map((e) => e.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(result.log.every((e) => e.duplicate_of === null), 'no duplicate in the log');
  assert.deepEqual(result.records, Array(10).fill('acked'));
  assert.ok(result.invariants.length > 0);
  for (const inv of result.invariants) assert.equal(inv.holds, true, `${inv.id}: ${JSON.stringify(inv.violations)}`);
  assert.equal(result.counters.duplicates_written, 0);
  assert.ok(result.counters.duplicates_prevented >= 1, 'the retry was recognised as a duplicate');
  assert.equal(result.reportJson, GOLDEN, 'byte-identical to the native golden report');
  assert.ok(result.presets.includes('lost-ack') && result.presets.length >= 12);
  assert.match(result.version, /^\d+\.\d+\.\d+/);
  assert.equal(result.scenarioName, 'lost-ack');
  errors.assertNone();
});

test('bad calls throw Errors that say what is wrong', async () => {
  const { page } = browser;
  await page.goto(url('examples/'));
  const errs = await withLab(page, ({ Lab }) => {
    const caught = (f) => {
      try {
        f();
        return null;
      } catch (e) {
        return { isError: e instanceof Error, message: String(e.message) };
      }
    };
    const lab = Lab.fromPreset('happy-path');
    return {
      unknownPreset: caught(() => Lab.fromPreset('no-such-preset')),
      badScenario: caught(() => new Lab('{"producers":[{"workload":{"messages":-1}}]}')),
      wrongType: caught(() => new Lab(42)),
      negativeTime: caught(() => lab.runUntil(-5)),
      badFault: caught(() => lab.inject({ type: 'crash_broker', broker: 9, down_ms: 1 })),
      badStepN: caught(() => lab.stepN(1.5)),
      fine: caught(() => lab.runUntil(10)),
    };
  });
  for (const [name, e] of Object.entries(errs)) {
    if (name === 'fine') continue;
    assert.ok(e, `${name} should throw`);
    assert.equal(e.isError, true, `${name} throws a real Error`);
  }
  assert.match(errs.unknownPreset.message, /unknown preset 'no-such-preset'; known presets: .*lost-ack/);
  assert.match(errs.badScenario.message, /invalid scenario at producers\[0\]\.workload\.messages/);
  assert.match(errs.wrongType.message, /expected a scenario object, a JSON string or a preset id/);
  assert.match(errs.negativeTime.message, /timeMs must be a non-negative whole number/);
  assert.match(errs.badFault.message, /broker/);
  assert.match(errs.badStepN.message, /n must be a whole number/);
  assert.equal(errs.fine, null);
});

test('every export throws an Error for any JS value and never traps: 248 hostile calls, each followed by a good one', async () => {
  const { page } = browser;
  const errors = collectErrors(page);
  await page.goto(url('examples/'));
  const result = await withLab(page, ({ Lab, runScenarioJson, presets, version }) => {
    const cyclic = {};
    cyclic.self = cyclic;
    let deep = {};
    for (let i = 0; i < 200000; i += 1) deep = { a: deep };
    let deepArray = [];
    for (let i = 0; i < 200000; i += 1) deepArray = [deepArray];
    const values = {
      undefined: undefined,
      null: null,
      true: true,
      zero: 0,
      negative: -1,
      fraction: 1.5,
      NaN: NaN,
      Infinity: Infinity,
      huge: 1e300,
      maxSafe: Number.MAX_SAFE_INTEGER + 2,
      emptyString: '',
      unknownName: 'no-such-thing',
      brokenJson: '{',
      trailingJson: '{"producers":[{"workload":{"messages":1}}]} x',
      numericString: '42',
      symbol: Symbol('lab'),
      bigint: 10n,
      emptyObject: {},
      array: [1, 2],
      cyclic,
      deep,
      deepArray,
      fn: () => 1,
      throwingProxy: new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('keys'); } }),
      hugeString: 'x'.repeat(3 << 20),
      date: new Date(0),
      stringObject: new String('lost-ack'),
      bigintInObject: { type: 'crash_broker', broker: 0n, down_ms: 1 },
      burstsOverflow: { producers: [{ workload: { messages: 1, bursts: [{ at_ms: 0, messages: 4294967295 }, { at_ms: 0, messages: 4294967295 }] } }] },
      wrongFault: { type: 'crash_broker', broker: 99, down_ms: 1 },
      hugeTimes: { producers: [{ config: { 'request.timeout.ms': 1e30 }, workload: { messages: 1 } }] },
    };
    const lab = Lab.fromPreset('happy-path');
    const calls = {
      'new Lab': (v) => new Lab(v),
      'Lab.fromPreset(id)': (v) => Lab.fromPreset(v),
      'Lab.fromPreset(seed)': (v) => Lab.fromPreset('happy-path', v),
      runUntil: (v) => lab.runUntil(v),
      events: (v) => lab.events(v),
      stepN: (v) => lab.stepN(v),
      inject: (v) => lab.inject(v),
      runScenarioJson: (v) => runScenarioJson(v),
    };
    // Values a call may accept (they are not hostile to it).
    const fine = {
      'Lab.fromPreset(seed)': ['undefined', 'null', 'zero'],
      runUntil: ['zero'],
      events: ['undefined', 'null', 'zero'],
      stepN: ['zero'],
    };
    const outcomes = [];
    for (const [call, f] of Object.entries(calls)) {
      for (const [name, v] of Object.entries(values)) {
        let outcome;
        try {
          f(v);
          outcome = { accepted: true };
        } catch (e) {
          outcome = {
            isError: e instanceof Error,
            trap: e instanceof WebAssembly.RuntimeError,
            message: String(e && e.message),
          };
        }
        // A good call right after: a trap would have poisoned the instance.
        let alive;
        try {
          const probe = Lab.fromPreset('lost-ack');
          probe.runToEnd();
          alive = probe.finished && runScenarioJson('lost-ack').length > 100 && presets().length > 0 && version().length > 0;
          probe.free();
        } catch (e) {
          alive = String(e);
        }
        outcomes.push({ call, name, allowed: (fine[call] || []).includes(name), alive, ...outcome });
      }
    }
    return outcomes;
  });
  let refused = 0;
  for (const o of result) {
    const label = `${o.call}(${o.name})`;
    assert.equal(o.alive, true, `${label}: the instance is still usable afterwards (${o.alive})`);
    if (o.accepted) {
      assert.ok(o.allowed, `${label} was accepted`);
      continue;
    }
    refused += 1;
    assert.equal(o.trap, false, `${label} trapped: ${o.message}`);
    assert.equal(o.isError, true, `${label} threw a real Error (${o.message})`);
    assert.ok(o.message.length > 10 && !/undefined \(reading/.test(o.message), `${label}: a message that says what is wrong: ${o.message}`);
  }
  assert.ok(refused >= 230, `${refused} refusals`);
  errors.assertNone();
});

test('the TypeScript declarations are served and typed', async () => {
  const { page } = browser;
  const response = await page.request.get(url('lab/idempotence_wasm.d.ts'));
  assert.equal(response.status(), 200);
  const dts = await response.text();
  for (const needle of [
    'export type Report =',
    'export type Snapshot =',
    'export type Scenario =',
    'export type Fault =',
    'export type LabEvent =',
    'report(): Report;',
    'snapshot(): Snapshot;',
    'events(from?: number | null): LabEvent[];',
    'constructor(scenario: Scenario | PresetId | string);',
    'inject(fault: Fault): void;',
    'export function presets(): Preset[];',
    'static fromPreset(id: PresetId | string, seed?: number | null): Lab;',
    'runUntil(timeMs: number): void;',
    'beats(): ReachedBeat[];',
    'export type Beat =',
    'stepN(n: number): number;',
    'export function runScenarioJson(scenario: PresetId | string): string;',
  ]) {
    assert.ok(dts.includes(needle), `idempotence_wasm.d.ts lacks \`${needle}\``);
  }
  // The declarations compile and type a script written against them: strictly enough that
  // the fixture's deliberate mistakes are errors (see tests/fixtures/uses-the-api.ts).
  const dir = mkdtempSync(join(tmpdir(), 'lab-dts-'));
  writeFileSync(join(dir, 'idempotence_wasm.d.ts'), dts);
  copyFileSync(new URL('./fixtures/uses-the-api.ts', import.meta.url), join(dir, 'uses-the-api.ts'));
  const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname;
  const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'es2022',
    '--moduleResolution', 'bundler', '--lib', 'esnext,dom', join(dir, 'uses-the-api.ts')];
  try {
    execFileSync(process.execPath, [tsc, ...args], { encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc rejects the declarations or the fixture:\n${e.stdout}${e.stderr}`);
  }
  const wasm = await page.request.get(url('lab/idempotence_wasm_bg.wasm'));
  assert.equal(wasm.headers()['content-type'], 'application/wasm');
});

test('the examples page runs the API demo and prints the report', async () => {
  const { page } = browser;
  const errors = collectErrors(page);
  await page.goto(url('examples/'));
  await page.click('#api-run');
  const out = page.locator('#api-output');
  await out.getByText('partition 0 log (10 records):').waitFor({ timeout: 30_000 });
  const text = await out.textContent();
  assert.match(text, /finished at \d+ ms/);
  assert.doesNotMatch(text, /VIOLATED/);
  assert.match(text, /bad call → Error: unknown preset 'no-such-preset'/);
  await out.scrollIntoViewIfNeeded();
  await screenshot(page, 'js-api-examples-output');
  errors.assertNone();
});

test('the API also loads when the site is served from a sub-path', { skip: !subpathUrl && 'E2E_SUBPATH_URL not set' }, async () => {
  const page = await browser.context.newPage();
  try {
    await page.goto(new URL('examples/', subpathUrl).href);
    const n = await withLab(page, ({ Lab }) => {
      const lab = new Lab('lost-ack');
      lab.runToEnd();
      return lab.report().partitions[0].log.length;
    });
    assert.equal(n, 10);
  } finally {
    await page.close();
  }
});
