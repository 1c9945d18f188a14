// Courier app: sort jobs by the phone's position, and keep confirmations made without a
// connection, sending them with their original time when the phone is back online. A
// confirmation the server refuses stays on the phone with the server's reason until the
// courier dismisses it; the queue is sent once, however often the browser says "online".
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
  var REFUSED_KEY = "commonplace-offline-refused";
  function load(key) { try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; } }
  function store(key, items) { localStorage.setItem(key, JSON.stringify(items)); }

  var box = document.querySelector("[data-offline-queue]");
  function text(name) { return box ? box.dataset["text" + name] : ""; }

  // Shows what is waiting and what the server refused, on every courier page.
  function render() {
    if (!box) return;
    var list = box.querySelector("[data-offline-list]");
    var waiting = load(KEY), refused = load(REFUSED_KEY);
    list.textContent = "";
    waiting.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.label + ": " + text("Waiting");
      list.appendChild(li);
    });
    refused.forEach(function (item) {
      var li = document.createElement("li");
      li.setAttribute("role", "alert");
      var strong = document.createElement("strong");
      strong.textContent = item.label + ": " + text("Refused") + ". ";
      li.appendChild(strong);
      li.appendChild(document.createTextNode(item.reason + " "));
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "secondary";
      dismiss.textContent = text("Dismiss");
      dismiss.addEventListener("click", function () {
        store(REFUSED_KEY, load(REFUSED_KEY).filter(function (other) { return other.id !== item.id; }));
        render();
      });
      li.appendChild(dismiss);
      list.appendChild(li);
    });
    box.hidden = !(waiting.length || refused.length);
  }

  document.querySelectorAll("form[data-offline]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var stamp = form.querySelector("input[name=happened_at]");
      if (stamp) stamp.value = new Date().toISOString();
      if (navigator.onLine) return;
      event.preventDefault();
      var data = {};
      new FormData(form).forEach(function (value, name) { if (typeof value === "string") data[name] = value; });
      var items = load(KEY);
      items.push({ id: Date.now() + "-" + Math.random().toString(36).slice(2), action: form.action,
        label: form.dataset.offline || form.action, data: data });
      store(KEY, items);
      render();
      var notice = form.querySelector("[data-saved-offline]");
      if (!notice) {
        notice = document.createElement("p");
        notice.className = "notice";
        notice.setAttribute("role", "status");
        notice.setAttribute("data-saved-offline", "");
        form.appendChild(notice);
      }
      notice.textContent = text("Saved") || "Saved offline; it is sent when you are back online.";
    });
  });

  // One item at a time, oldest first. Network trouble leaves it queued for the next
  // "online"; an answer from the server (accepted or refused) takes it off the queue.
  function sendNext() {
    var items = load(KEY);
    if (!items.length || !navigator.onLine) return Promise.resolve(false);
    var item = items[0];
    return fetch(item.action, {
      method: "POST", body: new URLSearchParams(item.data), credentials: "same-origin",
      headers: { "X-CSRFToken": item.data.csrfmiddlewaretoken || "", "X-Offline-Replay": "1",
        "Accept": "application/json" },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) throw new Error("no answer from the server");
      return response.json().then(function (answer) {
        store(KEY, load(KEY).filter(function (other) { return other.id !== item.id; }));
        if (!answer.ok) {
          var refused = load(REFUSED_KEY);
          refused.push({ id: item.id, label: item.label, reason: answer.message });
          store(REFUSED_KEY, refused);
        }
        render();
        return sendNext().then(function (more) { return answer.ok || more; });
      });
    });
  }

  var sending = null;
  function flush() {
    if (sending) return sending;  // the browser may say "online" twice: send once
    var run = function () { return sendNext(); };
    var attempt = navigator.locks ? navigator.locks.request(KEY, run) : run();
    sending = attempt.then(function (anyAccepted) {
      // Accepted confirmations changed the job: show its state as the server has it.
      if (anyAccepted && document.querySelector("[data-job]")) window.location.reload();
    }, function () { /* offline again or no answer: it stays queued */ })
      .then(function () { sending = null; });
    return sending;
  }
  window.addEventListener("online", flush);
  render();
  flush();
})();
