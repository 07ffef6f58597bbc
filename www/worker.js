// Bootstrap of an engine worker. The page compiles the engine's wasm once and posts the
// compiled module here, so N workers neither download nor compile it N times.
// Requests are handled strictly one after another: the engine's state lives in one wasm
// instance and a request may await (reading files) half-way through.
import init, { handle_message } from './engine/kiln_browser.js';

let ready = null;
let queue = Promise.resolve();
let wasm = null;
// The size of the first allocation the engine's allocator could not make: the trap that
// follows is then "out of memory", not a bare "unreachable".
let failedAllocation = null;
globalThis.kilnAllocationFailed = (bytes) => {
  if (failedAllocation === null) failedAllocation = bytes;
};

const mb = (bytes) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MB`;

function fatal(error) {
  let message = error && error.message ? error.message : String(error);
  if (failedAllocation !== null) {
    const used = wasm && wasm.memory ? wasm.memory.buffer.byteLength : 0;
    message = `out of memory: the worker could not allocate ${mb(failedAllocation)} more, with ${mb(used)} of its at most 4,096 MB of WebAssembly memory in use (${message})`;
  }
  self.postMessage({ kind: 'fatal', message });
}

// A trap outside a request's promise (in a task the engine spawned) is an uncaught
// error: it is reported as fatal here, with what is known (out of memory), rather than
// reaching the page as a bare "unreachable".
self.onerror = (message, source, line, column, error) => {
  fatal(error ?? new Error(String(message)));
  return true;
};
self.onunhandledrejection = (event) => fatal(event.reason);

self.onmessage = (event) => {
  const msg = event.data;
  if (msg && msg.kind === 'init') {
    ready = init({ module_or_path: msg.module }).then(
      (exports) => { wasm = exports; self.postMessage({ kind: 'ready' }); },
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
