// One service worker for each installable app (the courier app under /couriers/, the wallet
// under /wallet/): its scope is where it is served from. It keeps the app's pages readable
// offline: network first, the last good copy when there is no connection.
var SCOPE = new URL(self.registration.scope).pathname;

if (SCOPE === "/") {
  // The courier app's worker once covered the whole site from /service-worker.js; a browser
  // that still holds that registration gets this version on its next update and lets go.
  self.addEventListener("install", function () { self.skipWaiting(); });
  self.addEventListener("activate", function (event) {
    event.waitUntil(
      caches.delete("commonplace-courier-v1").then(function () { return self.registration.unregister(); })
    );
  });
} else {
  var PREFIX = "commonplace" + SCOPE.replace(/\//g, "-");
  var CACHE = PREFIX + "v2";

  self.addEventListener("install", function () { self.skipWaiting(); });
  self.addEventListener("activate", function (event) {
    event.waitUntil(
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
          return (name.indexOf(PREFIX) === 0 && name !== CACHE) || name === "commonplace-courier-v1";
        }).map(function (name) { return caches.delete(name); }));
      }).then(function () { return self.clients.claim(); })
    );
  });

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    // htmx asks for fragments of the same URLs; they must not stand in for whole pages.
    if (request.method !== "GET" || request.headers.get("HX-Request")) return;
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) return;
    var appPage = url.pathname.indexOf(SCOPE) === 0;
    var asset = url.pathname.indexOf("/static/") === 0;
    if (!appPage && !asset) return;
    event.respondWith(
      fetch(request).then(function (response) {
        // Only whole, successful answers are kept: never an error page or a login redirect.
        if (response.ok && response.type === "basic" && !response.redirected) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(request).then(function (cached) { return cached || Response.error(); });
      })
    );
  });
}
