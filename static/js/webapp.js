// Registers the service worker of the installable app this page belongs to, named on the
// script tag (data-service-worker), so the app's pages stay readable without a connection.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.getAttribute("data-service-worker");
  if (url && "serviceWorker" in navigator) navigator.serviceWorker.register(url);
})();
