// Incoming orders refresh every 20 s (htmx); when more orders wait than before, a short
// chime plays (once the page has been interacted with, as browsers require) and the tab
// title shows the count.
(function () {
  "use strict";
  var baseTitle = document.title;
  var last = null;
  var audio = null;
  document.addEventListener("click", function () {
    if (!audio && window.AudioContext) audio = new AudioContext();
  }, { once: true });

  function chime() {
    if (!audio) return;
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.6);
  }

  function update() {
    var table = document.getElementById("orders-table");
    if (!table) return;
    var count = parseInt(table.dataset.newCount || "0", 10);
    document.title = count ? "(" + count + ") " + baseTitle : baseTitle;
    if (last !== null && count > last) chime();
    last = count;
  }
  document.addEventListener("htmx:afterSettle", update);
  update();
})();
