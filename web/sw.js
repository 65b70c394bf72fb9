// The page's service worker: after one visit the app, its library, the
// WebAssembly core, the detector and the model come from this cache, so the
// page works with no network and a second visit downloads nothing.
//
// build.mjs writes BUILD (a hash of the site's files) and PRECACHE (what a
// WebAssembly visitor loads) into the copy it ships; a new build is a new
// worker with a new cache, and the old cache is deleted once it takes over.
// Anything else the page fetches from this origin (the WebGPU bundle, the
// inspector) is cached the first time it is used.

const BUILD = 'dev';
const PRECACHE = [];
const CACHE = `facegender-${BUILD}`;

self.addEventListener('install', (event) => {
  // `no-cache` revalidates each file: the ones the page just loaded answer
  // 304 from the browser's HTTP cache and are not downloaded again.
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((path) => new Request(new URL(path, self.registration.scope), { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith('facegender-') && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

// Cache first, for this origin's GET requests; query strings (?backend=…)
// are the page's options, not other files.
self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || request.headers.has('range')) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return cached;
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
    return response;
  })());
});
