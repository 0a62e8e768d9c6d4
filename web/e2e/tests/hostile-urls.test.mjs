// Hostile and careless URLs: every one loads without an uncaught error or a wasm trap, the lab
// still works (it shows a scenario and can play it), and every bad parameter is named in the
// page's notice, with what was expected.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, baseUrl, collectErrors } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const enc = encodeURIComponent;
const big = '18446744073709551615';
const scenario = (obj) => `scenario=${enc(typeof obj === 'string' ? obj : JSON.stringify(obj))}`;
const faults = (list) => `faults=${enc(JSON.stringify(list))}`;
let deep = '[';
for (let i = 0; i < 5000; i += 1) deep += '[';

/** `[query, text the notice must contain (null: no notice needed)]`. */
const cases = [
  ['scenario=nope', 'Unknown scenario'],
  ['scenario=', 'Unknown scenario'],
  ['scenario=%7B', 'invalid'],
  [scenario('{} trailing'), 'invalid'],
  [scenario('[1,2,3]'), 'Unknown scenario'],
  [scenario(deep), 'Unknown scenario'],
  [scenario(`{"caption": ${deep}`), 'invalid'],
  [scenario({ producers: [{ workload: { messages: 1, bursts: [{ at_ms: 0, messages: 4294967295 }, { at_ms: 0, messages: 4294967295 }] } }] }), 'producers[0].workload.messages'],
  [scenario({ producers: [{ config: { 'request.timeout.ms': Number(big) }, workload: { messages: 3 } }] }), 'request.timeout.ms'],
  [scenario({ duration_ms: 0, producers: [{ workload: { messages: 3 } }] }), 'duration_ms'],
  [scenario({ cluster: { brokers: 3, partitions: 16, 'replication.factor': 3 }, duration_ms: 604800000, producers: [{ workload: { messages: 3 } }] }), 'duration_ms'],
  [scenario({ producers: [{ workload: { messages: 500001 } }] }), 'producers[0].workload.messages'],
  [scenario({ cluster: { sequence_max: 7 }, producers: [{ workload: { messages: 3 } }] }), 'cluster.sequence_max'],
  [scenario({ producers: [{ workload: { messages: 3 } }], faults: [{ when: { at_ms: Number(big) }, fault: { type: 'crash_broker', broker: 0, down_ms: 1 } }] }), 'faults[0].when.at_ms'],
  [`seed=${big}0`, 'seed must be a whole number'],
  ['seed=-1', 'seed must be a whole number'],
  ['seed=1e9', 'seed must be a whole number'],
  ['speed=NaN', 'speed must be a number'],
  ['speed=Infinity', 'speed must be a number'],
  ['speed=-4', 'speed must be a number'],
  ['speed=1e308', 'speed must be a number'],
  ['idempotence=maybe', 'idempotence must be'],
  ['theme=neon', 'theme must be'],
  ['controls=some', 'controls must be'],
  ['compare=perhaps', null],
  ['t=-5', 't must be a time'],
  [`t=${big}9`, 't must be a time'],
  ['t=99999999999999', null],
  ['acks=2', 'acks'],
  ['max_in_flight=99999999999', 'max_in_flight'],
  ['max_in_flight=0', 'max.in.flight'],
  ['retries=-1', 'retries'],
  [`request_timeout_ms=${big}`, 'request.timeout.ms'],
  ['delivery_timeout_ms=1', 'delivery.timeout.ms'],
  ['brokers=0', 'cluster.brokers'],
  ['brokers=1000', 'cluster.brokers'],
  ['replication_factor=9&brokers=3', 'replication.factor'],
  ['min_isr=5', 'min.insync.replicas'],
  ['drop_request=2', 'drop_request'],
  ['drop_response=NaN', 'drop_response'],
  ['client_version=2.8', 'client_version'],
  ['client_version=9.9.9.9', 'client_version'],
  ['broker_version=<script>', 'broker_version'],
  ['client_version=4.0&max_in_flight=6', 'max.in.flight'],
  ['broker_version=3.3&scenario=state-expiry', 'KIP-854'],
  ['vs_broker_version=99999999999999999999&vs_client_version=<script>', 'Not comparing releases'],
  // Transactions v2 (4.x client and brokers) run: the zombie story on KIP-890 part 2.
  ['client_version=4.1&broker_version=4.1&scenario=zombie-fencing', null],
  ['faults=%5B', 'faults must be a JSON list'],
  [faults([{ when: { at_ms: 5 }, fault: { type: 'drop_response' } }]), 'faults['],
  [faults([{ when: { at_ms: 10 }, fault: { type: 'crash_broker', broker: 7, down_ms: 1 } }]), 'broker'],
  ['%ZZ=%ZZ&&&=&a==b', null],
  [`x=${'y'.repeat(8000)}`, null],
];

test(`${cases.length} hostile URLs load without errors, keep the lab working and name what is wrong`, async () => {
  assert.ok(cases.length >= 40);
  const { page } = browser;
  const errors = collectErrors(page);
  for (const [query, expected] of cases) {
    const label = query.length > 90 ? `${query.slice(0, 90)}…` : query;
    await page.goto(`${baseUrl}?${query}`);
    await page.locator('#app-root').waitFor({ timeout: 30_000 });
    await page.locator('#status').waitFor({ timeout: 30_000 });
    if (expected !== null) {
      const notice = page.locator('#url-errors, #run-error, #caption');
      const text = (await notice.allTextContents()).join(' ');
      assert.ok(text.includes(expected), `${label}: expected the page to say “${expected}”, it says: ${text.slice(0, 400)}`);
    }
    // The lab still answers: a preset can be played to the end.
    const trap = await page.evaluate(() => document.body.textContent.includes('RuntimeError'));
    assert.equal(trap, false, `${label}: a wasm trap surfaced`);
    errors.assertNone();
  }
  // After all of that, a good URL still works in the same tab.
  await page.goto(`${baseUrl}?scenario=lost-ack&speed=16`);
  await page.waitForFunction(() => document.querySelector('#status')?.textContent.includes('finished'), null, { timeout: 60_000 });
  errors.assertNone();
});
