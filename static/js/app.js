/* partybuild: small progressive enhancements. Pages work without it. */
(function () {
  "use strict";
  // Tree: a toggle shows or hides its sub-list; htmx loads the children on the first click.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tree-toggle]");
    if (!button) return;
    var list = document.getElementById(button.getAttribute("aria-controls"));
    if (!list) return;
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    list.hidden = open;
  });
  // Logging out clears what the entry grid kept in this browser (unsaved rows wait there
  // for a new login only after a session expiry, never for the next person at this
  // computer). grid.js stops writing once this flag is set.
  document.addEventListener("submit", function (event) {
    if (!event.target.matches || !event.target.matches("[data-logout]")) return;
    window.pbLoggingOut = true;
    // Staying on the page (the browser's "leave?" answered no) lets the grid keep rows again.
    window.setTimeout(function () { window.pbLoggingOut = false; }, 5000);
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i -= 1) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf("pb-grid:") === 0) window.localStorage.removeItem(key);
      }
    } catch (e) { /* storage disabled: nothing was kept */ }
  });
  // After a failed form submit, move focus to the error summary so it is read out first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  });
})();
// Progress bars: the width comes from data-progress (a style attribute would break the CSP).
(function () {
  "use strict";
  function sizeBars(root) {
    (root || document).querySelectorAll("[data-progress]").forEach(function (bar) {
      var value = Math.max(0, Math.min(100, parseInt(bar.getAttribute("data-progress"), 10) || 0));
      bar.style.width = value + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  document.addEventListener("htmx:load", function (event) { sizeBars(event.target); });
})();
