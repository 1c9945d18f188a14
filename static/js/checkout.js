// Checkout: a draggable pin for the delivery address, pickup times shown only for pickup,
// and a Place-order button that cannot be pressed twice.
(function () {
  "use strict";
  var form = document.querySelector("form.checkout");
  if (!form) return;

  form.addEventListener("submit", function () {
    var button = form.querySelector("[data-once]");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  });

  var map = null;
  function syncSlots() {
    var delivery = false;
    form.querySelectorAll("fieldset").forEach(function (set) {
      var chosen = set.querySelector("input[type=radio]:checked");
      var slot = set.querySelector("select");
      if (slot && chosen) slot.closest(".field").hidden = chosen.value !== "pickup";
      if (chosen && chosen.value === "delivery") delivery = true;
    });
    var address = document.getElementById("delivery-address");
    if (address) {
      address.hidden = !delivery;
      if (delivery && map) setTimeout(function () { map.invalidateSize(); }, 0);
    }
  }
  form.addEventListener("change", syncSlots);
  syncSlots();

  function pin() {
    var element = document.getElementById("map");
    if (!element || typeof L === "undefined") return;
    var lat = form.elements.latitude, lon = form.elements.longitude;
    var data = JSON.parse(document.getElementById("map-data").textContent);
    var start = lat.value && lon.value ? [parseFloat(lat.value), parseFloat(lon.value)] : data.centre;
    map = L.map(element, { scrollWheelZoom: false }).setView(start, 15);
    L.tileLayer(data.tileUrl, { maxZoom: 19, attribution: data.attribution }).addTo(map);
    var marker = L.marker(start, { draggable: true, keyboard: true, title: element.getAttribute("aria-label") }).addTo(map);
    function store(latlng) { lat.value = latlng.lat.toFixed(6); lon.value = latlng.lng.toFixed(6); }
    marker.on("dragend", function () { store(marker.getLatLng()); });
    map.on("click", function (e) { marker.setLatLng(e.latlng); store(e.latlng); });
    ["street", "postcode", "city"].forEach(function (name) {
      // A changed address is geocoded again by the server.
      form.elements[name].addEventListener("change", function () { lat.value = ""; lon.value = ""; });
    });
  }
  if (document.readyState === "complete") pin(); else window.addEventListener("load", pin);
})();
