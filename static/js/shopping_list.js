// Shopping-list trip page: a typed place replaces a position found earlier (locate.js finds
// one); the trip map shows the start, the numbered shops and the way between them.
(function () {
  "use strict";
  // A typed place replaces a position found earlier.
  document.addEventListener("input", function (event) {
    if (event.target.name === "place" && event.target.form.elements.lat) {
      event.target.form.elements.lat.value = "";
      event.target.form.elements.lon.value = "";
    }
    // Choosing a day or a time means setting off later.
    if ((event.target.name === "day" || event.target.name === "time") && event.target.form.elements.when) {
      var later = event.target.form.querySelector('input[name="when"][value="later"]');
      if (later) later.checked = true;
    }
  });

  function draw() {
    var element = document.getElementById("trip-map");
    var source = document.getElementById("trip-map-data");
    if (!element || !source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    var map = L.map(element, { scrollWheelZoom: false }).setView(data.centre, 15);
    L.tileLayer(data.tileUrl, { maxZoom: 19, attribution: data.attribution }).addTo(map);
    var way = [];
    if (data.start) {
      way.push([data.start.lat, data.start.lon]);
      L.circleMarker(way[0], { radius: 9, color: "#154d35", fillColor: "#ffffff", fillOpacity: 1, weight: 3 })
        .addTo(map).bindTooltip(element.dataset.startLabel || "Start");
    }
    data.stops.forEach(function (stop) {
      var icon = L.divIcon({ className: "trip-stop", html: String(stop.n), iconSize: [28, 28] });
      var marker = L.marker([stop.lat, stop.lon], { icon: icon, title: stop.n + ". " + stop.name, alt: stop.name }).addTo(map);
      var popup = document.createElement("div");
      var name = document.createElement("a");
      name.textContent = stop.n + ". " + stop.name;
      name.href = stop.url;
      popup.appendChild(name);
      popup.appendChild(document.createElement("br"));
      popup.appendChild(document.createTextNode(stop.address));
      marker.bindPopup(popup);
      way.push([stop.lat, stop.lon]);
    });
    if (data.roundTrip && data.start && data.stops.length) way.push([data.start.lat, data.start.lon]);
    if (way.length > 1) {
      L.polyline(way, { color: "#b6461b", weight: 4, dashArray: "6 8" }).addTo(map);
      map.fitBounds(way, { padding: [28, 28] });
    }
  }
  if (document.readyState === "complete") draw(); else window.addEventListener("load", draw);
})();
