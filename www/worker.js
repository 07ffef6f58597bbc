// Bootstrap of an engine worker. The page compiles the engine's wasm once and posts the
// compiled module here, so N workers neither download nor compile it N times.
// Requests are handled strictly one after another: the engine's state lives in one wasm
// instance and a request may await (reading files) half-way through.
import init, { handle_message } from './engine/kiln_browser.js';

let ready = null;
let queue = Promise.resolve();

function fatal(error) {
  const message = error && error.message ? error.message : String(error);
  self.postMessage({ kind: 'fatal', message });
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg && msg.kind === 'init') {
    ready = init({ module_or_path: msg.module }).then(
      () => self.postMessage({ kind: 'ready' }),
      (error) => { fatal(error); throw error; },
    );
    return;
  }
  if (!ready) {
    fatal(new Error('request before init'));
    return;
  }
  // A rejection here means the wasm instance trapped (a panic or out of memory): it is
  // unusable from now on, and the page replaces this worker.
  queue = queue.then(() => ready).then(() => handle_message(msg)).catch(fatal);
};
