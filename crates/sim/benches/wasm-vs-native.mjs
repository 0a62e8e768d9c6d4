// Times the same benchmark scenario natively (the release CLI) and compiled to wasm under
// Node (wasm-bindgen --target nodejs build of idempotence-wasm), in the same run, and prints
// the ratio. `cargo xtask bench` builds both and runs this script:
//   node crates/sim/benches/wasm-vs-native.mjs <native-cli> <nodejs-pkg-dir> <scenario.json>
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const [cli, pkgDir, scenarioPath] = process.argv.slice(2);
if (!cli || !pkgDir || !scenarioPath) {
  console.error('usage: node wasm-vs-native.mjs <native-cli> <nodejs-pkg-dir> <scenario.json>');
  process.exit(2);
}
const REPEAT = 5;
const scenario = readFileSync(scenarioPath, 'utf8');

const native = JSON.parse(execFileSync(cli, ['time', scenarioPath, '--repeat', String(REPEAT)], { encoding: 'utf8' }));

const require = createRequire(import.meta.url);
const wasm = require(resolve(pkgDir, 'idempotence_wasm.js'));
let bestMs = Infinity;
let batches = 0;
for (let i = 0; i < REPEAT; i++) {
  const started = performance.now();
  const lab = new wasm.Lab(scenario);
  lab.runToEnd();
  bestMs = Math.min(bestMs, performance.now() - started);
  batches = lab.report().counters.batches_sent;
  lab.free();
}
const wasmRate = batches / (bestMs / 1000);
const result = {
  scenario: scenarioPath,
  batches,
  native_best_ms: +native.best_ms.toFixed(1),
  native_batches_per_second: Math.round(native.batches_per_second),
  wasm_best_ms: +bestMs.toFixed(1),
  wasm_batches_per_second: Math.round(wasmRate),
  wasm_to_native_ratio: +(wasmRate / native.batches_per_second).toFixed(3),
};
console.log(JSON.stringify(result, null, 2));
