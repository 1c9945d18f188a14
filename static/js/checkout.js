// Checkout: a draggable pin for the delivery address, pickup times shown only for pickup,
// delivery times that suit every delivering shop of a collective, and a Place-order button
// that cannot be pressed twice.
(function () {
  "use strict";
  var form = document.querySelector("form.checkout");
  if (!form) return;

  form.addEventListener("submit", function () {
    var button = form.querySelector("[data-once]");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  });

  var map = null;
  // Offer only the windows every delivering shop of the collective can make. Until the
  // customer picks one (data-chosen), the earliest that suits is selected; a picked window
  // stays while it still suits.
  function syncWindows(delivering) {
    form.querySelectorAll("select[data-collective]").forEach(function (select) {
      var shops = delivering[select.dataset.collective] || [];
      select.closest(".field").hidden = shops.length === 0;
      var firstFit = null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) return;
        var able = (option.dataset.shops || "").split(" ");
        var fits = shops.every(function (shop) { return able.indexOf(shop) !== -1; });
        option.disabled = !fits;
        option.hidden = !fits;
        if (fits && firstFit === null) firstFit = option;
      });
      var current = select.options[select.selectedIndex];
      var keep = select.dataset.chosen && current && current.value && !current.disabled;
      if (!keep && firstFit) firstFit.selected = true;
    });
  }

  function syncSlots() {
    var delivery = false;
    var delivering = {};
    form.querySelectorAll("fieldset[data-shop]").forEach(function (set) {
      var chosen = set.querySelector("input[type=radio]:checked");
      var slot = set.querySelector("select");
      if (slot && chosen) slot.closest(".field").hidden = chosen.value !== "pickup";
      if (chosen && chosen.value === "delivery") {
        delivery = true;
        var collective = set.dataset.collective;
        (delivering[collective] = delivering[collective] || []).push(set.dataset.shop);
      }
    });
    syncWindows(delivering);
    var address = document.getElementById("delivery-address");
    if (address) {
      address.hidden = !delivery;
      if (delivery && map) setTimeout(function () { map.invalidateSize(); }, 0);
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target.matches("select[data-collective]")) event.target.dataset.chosen = "1";
    syncSlots();
  });
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
