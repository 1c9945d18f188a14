// Keeps the courier's pages readable offline: network first, the last copy when offline.
var CACHE = "commonplace-courier-v1";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  var courierPage = url.pathname.indexOf("/couriers/") === 0;
  var asset = url.pathname.indexOf("/static/") === 0;
  if (!courierPage && !asset) return;
  event.respondWith(
    fetch(request).then(function (response) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      return response;
    }).catch(function () { return caches.match(request); })
  );
});
