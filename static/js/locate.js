// "Use my location": fills the hidden lat/lon fields of a form from the browser. The
// button's data-clear names the typed-place field to empty (postcode by default);
// data-submit sends the form as soon as the position is known.
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
        var typed = form.elements[button.dataset.clear || "postcode"];
        if (typed) typed.value = "";
        if ("submit" in button.dataset) {
          form.submit();
          return;
        }
        if (status) status.textContent = button.dataset.done;
      },
      function () {
        if (status) status.textContent = button.dataset.failed;
      },
      { maximumAge: 600000, timeout: 10000 }
    );
  });
})();
