// Kiln's service worker: the page works offline once it has been loaded. Requests for
// the app's own files go to the network first (so a new build is picked up at once)
// and fall back to the copy kept from the last successful load. Nothing else passes
// through it: the page fetches nothing but its own files, and never the user's data.
const CACHE = 'kiln-app-v1';
// The whole app: what the first load fetched before this worker was there.
const APP = [
  './', 'index.html', 'boot.js', 'style.css', 'worker.js',
  'ui/kiln_web.js', 'ui/kiln_web_bg.wasm',
  'engine/kiln_browser.js', 'engine/kiln_browser_bg.wasm',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(APP);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      if (response.ok) await cache.put(request, response.clone());
      return response;
    } catch (offline) {
      const kept = await cache.match(request, { ignoreSearch: true });
      if (kept) return kept;
      throw offline;
    }
  })());
});
