/* Progress of a CSV import (templates/employers/import.html).
 *
 * The form is sent with fetch and "Accept: application/x-ndjson": the server then answers as it
 * works, one JSON line per step ({phase: "checking"|"importing", done, total, message}), and ends
 * with {phase: "done", message, next} or {phase: "failed", message, errors: [{line, field, message}]}.
 * All of it is one request and one transaction on the server: nothing is imported unless every line is.
 * Without fetch streaming, or when the server answers with a page (a form error), the form is sent the
 * ordinary way and the server's page is shown.
 */
(function () {
  "use strict";

  var form = document.getElementById("import-form");
  var panel = document.getElementById("import-progress");
  if (!form || !panel || !window.fetch || !window.TextDecoder || !window.ReadableStream) {
    return;
  }
  var bar = document.getElementById("import-progress-bar");
  var status = document.getElementById("import-progress-status");
  var result = document.getElementById("import-progress-result");
  var button = form.querySelector("button[type=submit]");
  var finished = false;

  function fallback() {
    form.submit(); // the ordinary POST: the server renders the page with its messages
  }

  function show(fragmentId, title) {
    var node = document.getElementById(fragmentId).content.firstElementChild.cloneNode(true);
    node.querySelector(".alert__title").textContent = title;
    result.replaceChildren(node);
    return node;
  }

  function apply(event) {
    finished = event.phase === "done" || event.phase === "failed";
    if (event.phase === "checking" || event.phase === "importing") {
      bar.max = Math.max(event.total, 1);
      bar.value = event.done;
      status.textContent = event.message;
      return;
    }
    if (event.phase === "done") {
      bar.value = bar.max;
      status.textContent = "";
      show("import-done-template", event.message).focus();
      return;
    }
    if (event.phase === "failed") {
      status.textContent = "";
      var alert = show("import-failed-template", event.message);
      var body = alert.querySelector("tbody");
      var errors = event.errors || [];
      if (!errors.length) {
        alert.querySelector(".table-wrap").remove();
      }
      errors.forEach(function (error) {
        var row = document.createElement("tr");
        [String(error.line), error.field, error.message].forEach(function (text) {
          var cell = document.createElement("td");
          cell.textContent = text;
          row.appendChild(cell);
        });
        body.appendChild(row);
      });
      button.disabled = false;
      alert.focus();
    }
  }

  form.addEventListener("submit", function (submitEvent) {
    submitEvent.preventDefault();
    button.disabled = true;
    finished = false;
    result.replaceChildren();
    bar.value = 0;
    status.textContent = "";
    panel.hidden = false;
    fetch(form.action || window.location.href, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/x-ndjson" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/x-ndjson") !== 0 || !response.body) {
        fallback();
        return undefined;
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          buffer += decoder.decode(chunk.value || new Uint8Array(), { stream: !chunk.done });
          var end = buffer.indexOf("\n");
          while (end >= 0) {
            var line = buffer.slice(0, end).trim();
            buffer = buffer.slice(end + 1);
            if (line) {
              apply(JSON.parse(line));
            }
            end = buffer.indexOf("\n");
          }
          if (chunk.done && !finished) {
            apply({ phase: "failed", message: panel.dataset.msgInterrupted, errors: [] });
          }
          return chunk.done ? undefined : pump();
        });
      }
      return pump();
    }).catch(function () {
      if (bar.value > 0) { // the answer was under way: sending the file again would not say more
        apply({ phase: "failed", message: panel.dataset.msgInterrupted, errors: [] });
      } else {
        fallback();
      }
    });
  });
})();
