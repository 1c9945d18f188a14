// Scans a supporter card's QR code with the phone's camera at the shop counter: the
// browser's BarcodeDetector where there is one, the vendored jsQR otherwise. The code holds
// the card's address; its last part is the number, which fills the form and submits it.
(function () {
  const form = document.getElementById("card-lookup");
  if (!form || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  const start = form.querySelector("[data-scan-card]");
  const box = form.querySelector("[data-scanner]");
  const video = box.querySelector("video");
  const status = box.querySelector("[data-scanner-status]");
  const input = form.querySelector("input[name=card]");
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
    const digits = (text.split("/").filter(Boolean).pop() || "").replace(/\D/g, "");
    if (digits.length !== 12) return false;
    input.value = digits;
    stop();
    form.submit();
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
})();
