/* Progress of one-off background work (templates/_background_progress.html).
 *
 * Every two seconds the page asks its status URL for {status, lines_done, lines_total, phase?} (the figures of the
 * API), moves the bar and the sentence under it, and reloads the page once the status is no longer "importing":
 * the page then shows what came of it. A failed request is simply asked again at the next tick.
 */
(function () {
  "use strict";

  var panel = document.getElementById("background-progress");
  if (!panel || !window.fetch) {
    return;
  }
  var bar = document.getElementById("background-progress-bar");
  var status = document.getElementById("background-progress-status");
  var text = panel.getAttribute("data-progress-text");
  var url = panel.getAttribute("data-status-url");
  var lastDone = "";

  function show(done, total, phase) {
    var words = (phase && panel.getAttribute("data-phase-" + phase)) || text;
    bar.max = Math.max(total, 1);
    bar.value = done;
    if (String(done) + phase !== lastDone) { // the live region speaks only when something moved
      status.textContent = words.replace("{done}", String(done)).replace("{total}", String(total));
      lastDone = String(done) + phase;
    }
  }

  function tick() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (figures) {
        if (!figures) {
          return;
        }
        if (figures.status !== "importing") {
          window.location.reload();
          return;
        }
        show(figures.lines_done, figures.lines_total, figures.phase);
      })
      .catch(function () { /* asked again at the next tick */ })
      .then(function () { window.setTimeout(tick, 2000); });
  }

  window.setTimeout(tick, 2000);
}());
