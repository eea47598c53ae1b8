// SPDX-License-Identifier: GPL-3.0-or-later
// The member page's service worker (scope /m/): keeps the shell (the page, its script, style, font, icons
// and the QR library) so the page opens offline, and answers from that cache first (a slow network costs
// no wait), refreshing the copy behind the answer.
//
// It never touches /m/api/: the member's answers go to the network only, so nothing one member saw can be
// served to another from here. The page keeps its last /m/api/me answer itself and clears it on sign-out.

const CACHE = "bashgah-portal-shell-1";
const SHELL = [
  "/m/",
  "/m/manifest.webmanifest",
  "/m/static/portal.js",
  "/m/static/portal.css",
  "/m/static/vendor/qrcode-generator/qrcode.mjs",
  "/m/static/font/Vazirmatn-Regular.woff2",
  "/m/static/font/Vazirmatn-Bold.woff2",
  "/m/static/icon-192.png",
  "/m/static/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

function isShell(url) {
  return url.origin === self.location.origin && url.pathname.startsWith("/m/")
    && !url.pathname.startsWith("/m/api/");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || !isShell(url)) return; // the network's, untouched
  // any page under /m/ is the one shell (a link with a query or a fragment included)
  const key = request.mode === "navigate" ? "/m/" : url.pathname;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(key);
    const fresh = fetch(request).then((response) => {
      if (response.ok) cache.put(key, response.clone());
      return response;
    });
    if (cached) {
      event.waitUntil(fresh.catch(() => {})); // refresh the copy for next time; offline, keep the old one
      return cached;
    }
    return fresh;
  })());
});
