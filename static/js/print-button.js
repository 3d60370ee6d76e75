// A "print this page" button: shown only where scripts run (without them, the browser's own print works).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
