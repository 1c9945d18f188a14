// "Use my location": fills the hidden lat/lon fields of the search form from the browser.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-locate]");
    if (!button) return;
    event.preventDefault();
    var form = button.form;
    var status = document.getElementById(button.getAttribute("aria-describedby"));
    if (!navigator.geolocation) {
      if (status) status.textContent = button.dataset.unsupported;
      return;
    }
    if (status) status.textContent = button.dataset.working;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(5);
        form.elements.lon.value = position.coords.longitude.toFixed(5);
        if (form.elements.postcode) form.elements.postcode.value = "";
        if (status) status.textContent = button.dataset.done;
      },
      function () {
        if (status) status.textContent = button.dataset.failed;
      },
      { maximumAge: 600000, timeout: 10000 }
    );
  });
})();
