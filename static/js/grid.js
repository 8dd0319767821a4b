/* The rating grid: keyboard help, reason boxes that follow the level, no accidental submit.
   Everything here is an enhancement: the grid works as a plain form without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var NOT_RATED = "none";

  function rowOf(el) { return el.closest("tbody.grid-member"); }

  function syncRow(row) {
    if (!row) return;
    var level = row.querySelector("[data-grid-level]");
    var reason = row.querySelector("[data-grid-reason]");
    var reasonBox = row.querySelector("[data-grid-reason-box]");
    var noteBox = row.querySelector("[data-grid-reason-note-box]");
    if (!level || !reasonBox) return;
    var showReason = level.value === NOT_RATED || (level.value === "" && reason && reason.value !== "");
    reasonBox.classList.toggle("is-collapsed", !showReason);
    if (noteBox) noteBox.classList.toggle("is-collapsed", !(showReason && reason && reason.value === "other"));
  }

  function fields(form) {
    return Array.prototype.filter.call(
      form.querySelectorAll("select, input:not([type=hidden]), button[type=submit]"),
      function (el) { return !el.disabled && el.offsetParent !== null; }
    );
  }

  function init() {
    var form = document.querySelector("[data-grid-form]");
    document.addEventListener("click", function (event) {
      if (event.target.closest("[data-print]")) window.print();
    });
    if (!form) return;
    Array.prototype.forEach.call(form.querySelectorAll("tbody.grid-member"), syncRow);

    form.addEventListener("change", function (event) {
      syncRow(rowOf(event.target));
      form.dataset.dirty = "1";
    });

    form.addEventListener("keydown", function (event) {
      var el = event.target;
      // Ctrl+S (⌘S) saves the list instead of saving the web page.
      if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
        event.preventDefault();
        var save = form.querySelector("[data-grid-save]");
        if (save) save.click();
        return;
      }
      // Enter in a box moves to the next box: only the buttons submit.
      if (event.key === "Enter" && (el.tagName === "INPUT" || el.tagName === "SELECT")) {
        event.preventDefault();
        var list = fields(form);
        var next = list[list.indexOf(el) + 1];
        if (next && next.tagName !== "BUTTON") next.focus();
        return;
      }
      // In a level box, digits choose: 1–4 the levels in order, 0 "Not rated".
      if (el.matches && el.matches("[data-grid-level]") && /^[0-9]$/.test(event.key)
          && !event.ctrlKey && !event.altKey && !event.metaKey) {
        var n = parseInt(event.key, 10);
        var options = Array.prototype.filter.call(el.options, function (o) { return o.value !== ""; });
        var target = n === 0
          ? options.filter(function (o) { return o.value === NOT_RATED; })[0]
          : options.filter(function (o) { return o.value !== NOT_RATED; })[n - 1];
        if (target) {
          event.preventDefault();
          el.value = target.value;
          el.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
    });

    // Leaving with unsaved entries asks first; saving or sending does not.
    form.addEventListener("submit", function () { delete form.dataset.dirty; });
    window.addEventListener("beforeunload", function (event) {
      if (form.dataset.dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
