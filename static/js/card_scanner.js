// Scans a QR code with the phone's camera: the browser's BarcodeDetector where there is
// one, the vendored jsQR otherwise. At the shop counter the code holds a supporter card's
// address, whose last part is the 12-digit number; in the courier app it holds the link the
// shop's order page shows (…/couriers/pickup/?code=ABC123), or the bare code. What is read
// fills the form's field and submits the form, as if typed.
(function () {
  function cardNumber(text) {
    const digits = (text.split("/").filter(Boolean).pop() || "").replace(/\D/g, "");
    return digits.length === 12 ? digits : null;
  }

  function pickupCode(text) {
    let code = text.trim();
    try {
      code = new URL(code).searchParams.get("code") || "";
    } catch (error) { /* not a link: the bare code */ }
    code = code.toUpperCase().replace(/\s/g, "");
    return /^[A-Z0-9]{4,8}$/.test(code) ? code : null;
  }

  function setUp(form, start, input, parse) {
    if (!form || !start || !input) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    const box = form.querySelector("[data-scanner]");
    const video = box.querySelector("video");
    const status = box.querySelector("[data-scanner-status]");
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    let stream = null;
    let detector = null;
    start.hidden = false;

    function stop() {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      box.hidden = true;
    }

    function found(text) {
      const value = parse(text);
      if (!value) return false;
      input.value = value;
      stop();
      // requestSubmit runs the form's submit handlers (the courier app's offline queue).
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
      return true;
    }

    async function scan() {
      if (!stream) return;
      if (video.readyState >= 2) {
        if (detector) {
          const codes = await detector.detect(video).catch(() => []);
          if (codes.length && found(codes[0].rawValue)) return;
        } else if (window.jsQR) {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          const image = context.getImageData(0, 0, canvas.width, canvas.height);
          const code = window.jsQR(image.data, image.width, image.height);
          if (code && found(code.data)) return;
        }
      }
      requestAnimationFrame(scan);
    }

    start.addEventListener("click", async () => {
      try {
        if ("BarcodeDetector" in window) {
          detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        }
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: "environment" },
        });
      } catch (error) {
        status.textContent = status.dataset.cameraError;
        box.hidden = false;
        return;
      }
      video.srcObject = stream;
      box.hidden = false;
      await video.play();
      requestAnimationFrame(scan);
    });
    box.querySelector("[data-scan-stop]").addEventListener("click", stop);
  }

  const counter = document.getElementById("card-lookup");
  if (counter) {
    setUp(counter, counter.querySelector("[data-scan-card]"),
      counter.querySelector("input[name=card]"), cardNumber);
  }
  document.querySelectorAll("form[data-qr-form]").forEach((form) => {
    setUp(form, form.querySelector("[data-scan-start]"),
      form.querySelector("input[name=code]"), pickupCode);
  });
})();
