/* Report page: poll the rendering status and reload when the PDF is ready. */
(function () {
  "use strict";
  var box = document.getElementById("report-status");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.ready || s.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, Math.min(1000 + tries * 250, 5000));
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 800);
})();
