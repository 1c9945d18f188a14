// Draws the page's map from the JSON the server put in #map-data (tile URL from settings).
(function () {
  "use strict";
  function draw() {
    var element = document.getElementById("map");
    var source = document.getElementById("map-data");
    if (!element || !source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (data.pin) return; // the page draws its own map with a movable pin
    var map = L.map(element, { scrollWheelZoom: false }).setView(data.centre, 14);
    L.tileLayer(data.tileUrl, { maxZoom: 19, attribution: data.attribution }).addTo(map);
    var bounds = [];
    (data.markers || []).forEach(function (m) {
      var marker = L.marker([m.lat, m.lon], { title: m.name, alt: m.name }).addTo(map);
      var popup = document.createElement("div");
      var name = document.createElement(m.url ? "a" : "strong");
      name.textContent = m.name;
      if (m.url) name.href = m.url;
      popup.appendChild(name);
      if (m.address) {
        popup.appendChild(document.createElement("br"));
        popup.appendChild(document.createTextNode(m.address));
      }
      marker.bindPopup(popup);
      bounds.push([m.lat, m.lon]);
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [24, 24] });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
