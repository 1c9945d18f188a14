// Courier app: sort jobs by the phone's position, and keep confirmations made without a
// connection, sending them with their original time when the phone is back online.
(function () {
  "use strict";
  var button = document.querySelector("[data-near-me]");
  if (button && navigator.geolocation) {
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        var url = new URL(window.location.href);
        url.searchParams.set("lat", p.coords.latitude.toFixed(5));
        url.searchParams.set("lon", p.coords.longitude.toFixed(5));
        window.location.href = url.toString();
      });
    });
  }

  var KEY = "commonplace-offline-confirmations";
  function queue() { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } }
  function save(items) { localStorage.setItem(KEY, JSON.stringify(items)); }

  document.querySelectorAll("form[data-offline]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var stamp = form.querySelector("input[name=happened_at]");
      if (stamp) stamp.value = new Date().toISOString();
      if (navigator.onLine) return;
      event.preventDefault();
      var data = {};
      new FormData(form).forEach(function (value, name) { if (typeof value === "string") data[name] = value; });
      var items = queue();
      items.push({ action: form.action, data: data });
      save(items);
      form.insertAdjacentHTML("beforeend", "<p class='notice' role='status'>" +
        (document.documentElement.lang === "de" ? "Offline gespeichert; wird gesendet, sobald Netz da ist." : "Saved offline; it is sent when you are back online.") + "</p>");
    });
  });

  function flush() {
    var items = queue();
    if (!items.length || !navigator.onLine) return;
    var item = items.shift();
    var body = new URLSearchParams(item.data);
    fetch(item.action, { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": item.data.csrfmiddlewaretoken || "" } })
      .then(function () { save(items); flush(); })
      .catch(function () {});
  }
  window.addEventListener("online", flush);
  flush();
})();
