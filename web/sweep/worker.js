// One worker of the sweep pool: it loads the JS API's wasm (the build for speed) once, plans the sweep it is given
// (kept while the spec stays the same) and runs the slices of runs it is sent, answering each
// with their measures. The main thread owns the queue, so a slow slice never holds the rest.
import init, { Sweep } from './engine/idempotence_wasm.js';

const ready = init();
let planned = { text: null, sweep: null };

self.onmessage = async (event) => {
  const { id, spec, from, to } = event.data;
  try {
    await ready;
    if (planned.text !== spec) {
      planned.sweep?.free();
      planned = { text: spec, sweep: new Sweep(spec) };
    }
    const measures = planned.sweep.runRange(from, to);
    self.postMessage({ id, from, measures });
  } catch (e) {
    self.postMessage({ id, from, error: String(e?.message ?? e) });
  }
};
