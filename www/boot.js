// Starts the UI. It lives in a file rather than inline in index.html so the page can
// run under a Content-Security-Policy without 'unsafe-inline'.
const boot = document.getElementById('boot');

function fail(err) {
  console.error(err);
  if (!boot) return;
  boot.classList.add('boot-failed');
  const title = document.createElement('strong');
  title.textContent = 'Kiln could not start.';
  const detail = document.createElement('span');
  detail.textContent = String(err && err.message ? err.message : err);
  const hint = document.createElement('span');
  hint.textContent = 'Try reloading the page; Kiln needs a recent browser with WebAssembly.';
  boot.replaceChildren(title, detail, hint);
}

// Offline after the first load: the service worker keeps the app's files.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js').catch((err) => console.warn('no offline copy:', err));
}

try {
  // A dynamic import, so a missing or broken UI bundle also lands in the fallback.
  const { default: init } = await import('./ui/kiln_web.js');
  await init();
  boot?.remove();
} catch (err) {
  fail(err);
}
