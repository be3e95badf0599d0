// avwap dashboard: light refresh. Polls /api/version (a digest of the ledger heads and the kill switch)
// and reloads the page when it changes; never while a form is being filled in. No library, no build step.
(function () {
  "use strict";
  var PERIOD_MS = 15000;
  var known = null;
  var status = document.getElementById("refresh-status");

  function busy() {
    var active = document.activeElement;
    return active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA");
  }

  function poll() {
    fetch("/api/version", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (known !== null && data.version !== known && !busy()) {
          window.location.reload();
          return;
        }
        known = data.version;
        if (status) { status.textContent = "live"; status.className = "refresh"; }
      })
      .catch(function () {
        if (status) { status.textContent = "offline"; status.className = "refresh offline"; }
      });
  }

  if (document.body.getAttribute("data-page") !== "login") {
    poll();
    window.setInterval(poll, PERIOD_MS);
  }
})();
